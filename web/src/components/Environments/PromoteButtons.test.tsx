import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { Job } from "../../api/types";
import { PromoteButtons } from "./PromoteButtons";

function job(id: string, extra: Partial<Job> = {}): Job {
  return {
    id,
    stage: "deploy",
    status: "pending",
    reason: "waiting for approval",
    needs: [],
    manual: true,
    allowFailure: false,
    environment: null,
    runsOn: [],
    approvedBy: null,
    approval: null,
    startedAt: null,
    finishedAt: null,
    durationSeconds: null,
    attempts: [],
    ...extra,
  };
}

const jobs = [
  job("package", { manual: false, status: "succeeded" }),
  job("deploy-dit", { manual: false, status: "succeeded", environment: "dit" }),
  job("deploy-qa", { environment: "qa" }),
  job("deploy-prod", { environment: "prod", reason: "waiting for deploy-qa" }),
];

describe("PromoteButtons", () => {
  it("offers one Promote button per environment with manual jobs, and links to the environments", () => {
    const onPromote = vi.fn();
    render(<PromoteButtons project="shop" jobs={jobs} canPromote={() => true} busy={null} onPromote={onPromote} />);

    expect(screen.getAllByRole("button").map((b) => b.textContent)).toEqual(["Promote to qa", "Promote to prod"]);
    fireEvent.click(screen.getByRole("button", { name: "Promote to qa" }));
    expect(onPromote).toHaveBeenCalledWith("qa");
    expect(screen.getByRole("link", { name: "Environments" }).getAttribute("href")).toBe("/projects/shop/environments");
  });

  it("shows only the environments the role may promote to", () => {
    render(<PromoteButtons project="shop" jobs={jobs} canPromote={(e) => e === "qa"} busy={null} onPromote={() => {}} />);

    expect(screen.getAllByRole("button").map((b) => b.textContent)).toEqual(["Promote to qa"]);
  });

  it("says how many approvals a requested promotion still waits for, instead of a button", () => {
    const waiting = jobs.map((j) =>
      j.id === "deploy-prod" ? { ...j, approval: { requestedBy: "alice", required: 2, approvedBy: ["bob"] } } : j,
    );
    render(<PromoteButtons project="shop" jobs={waiting} canPromote={() => true} busy={null} onPromote={() => {}} />);

    expect(screen.queryByRole("button", { name: "Promote to prod" })).toBeNull();
    expect(screen.getByText("prod: asked for by alice: 1 of 2 approvals")).toBeTruthy();
  });

  it("shows no button for an environment whose jobs ran already", () => {
    const done = jobs.map((j) => (j.id === "deploy-qa" ? { ...j, status: "succeeded" as const, approvedBy: "alice" } : j));
    render(<PromoteButtons project="shop" jobs={done} canPromote={() => true} busy={null} onPromote={() => {}} />);

    expect(screen.queryByRole("button", { name: "Promote to qa" })).toBeNull();
    expect(screen.getByText("qa: deploy-qa succeeded")).toBeTruthy();
  });

  it("renders nothing for a run without manual deployment jobs", () => {
    const { container } = render(
      <PromoteButtons project="shop" jobs={[jobs[0]!, jobs[1]!]} canPromote={() => true} busy={null} onPromote={() => {}} />,
    );

    expect(container.innerHTML).toBe("");
  });
});
