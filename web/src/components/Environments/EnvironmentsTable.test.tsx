import { fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { Deployment, Environment } from "../../api/types";
import { EnvironmentsTable } from "./EnvironmentsTable";

const now = Date.parse("2026-11-27T03:00:00Z");

function deployment(id: number, runNumber: number, version: string, minutesAgo: number, extra: Partial<Deployment> = {}): Deployment {
  return {
    id,
    environment: "qa",
    runId: 100 + runNumber,
    runNumber,
    job: "deploy-qa",
    attempt: 1,
    commit: `${String(runNumber).repeat(8)}abcdef0123456789`,
    version,
    artifacts: [{ job: "package", path: "dist", sha256: `${"ab".repeat(32)}` }],
    deployedBy: "alice",
    approvedBy: null,
    deployedAt: new Date(now - minutesAgo * 60_000).toISOString(),
    trigger: "manual by alice",
    ...extra,
  };
}

const qa: Environment = {
  name: "qa",
  rules: { requiredRole: "release-manager", requires: ["dit"], approvals: 1, branches: [], tags: [], configured: true },
  current: deployment(7, 12, "#12", 5, { approvedBy: "bob" }),
  history: [deployment(7, 12, "#12", 5, { approvedBy: "bob" }), deployment(3, 9, "#9", 120)],
};

const prod: Environment = {
  name: "prod",
  rules: { requiredRole: "admin", requires: ["qa"], approvals: 0, branches: [], tags: ["v*"], configured: true },
  current: null,
  history: [],
};

describe("EnvironmentsTable", () => {
  it("shows what each environment runs: version, commit, when and who", () => {
    render(<EnvironmentsTable project="shop" environments={[qa, prod]} now={now} canDeploy={() => true} busy={null} onRedeploy={() => {}} />);

    const qaSection = screen.getByRole("region", { name: "Environment qa" });
    const current = qaSection.querySelector(".current")!;
    expect(current.textContent).toContain("#12");
    expect(current.textContent).toContain("12121212");
    expect(current.textContent).toContain("5 min ago");
    expect(current.textContent).toContain("by alice, approved by bob");
    expect(within(qaSection).getByText(/after dit · 1 approval by others/)).toBeTruthy();
    expect(within(screen.getByRole("region", { name: "Environment prod" })).getByText("Nothing deployed yet.")).toBeTruthy();
  });

  it("says a deployment nobody started was automatic, and what started its run", () => {
    const automatic = deployment(8, 13, "#13", 1, { deployedBy: null, trigger: "webhook 4f1c" });
    render(<EnvironmentsTable project="shop" environments={[{ ...qa, current: automatic, history: [automatic] }]} now={now} canDeploy={() => true} busy={null} onRedeploy={() => {}} />);

    const current = screen.getByRole("region", { name: "Environment qa" }).querySelector(".current")!;
    expect(current.textContent).toContain("automatically (webhook 4f1c)");
    expect(current.textContent).not.toContain("by ");
  });

  it("lists the history newest first, with the artifacts' digests and a link to each run", () => {
    render(<EnvironmentsTable project="shop" environments={[qa]} now={now} canDeploy={() => true} busy={null} onRedeploy={() => {}} />);

    const rows = screen.getAllByRole("row").slice(1);
    expect(rows.map((row) => row.querySelector("td")!.textContent)).toEqual(["#12", "#9"]);
    expect(within(rows[1]!).getByRole("link", { name: "#9" }).getAttribute("href")).toBe("/projects/shop/runs/9");
    expect(within(rows[0]!).getByTitle("ab".repeat(32)).textContent).toBe(`dist ${"ab".repeat(6)}`);
  });

  it("offers to redeploy earlier deployments, not the current one, and says which one was chosen", () => {
    const onRedeploy = vi.fn();
    render(<EnvironmentsTable project="shop" environments={[qa]} now={now} canDeploy={() => true} busy={null} onRedeploy={onRedeploy} />);

    expect(screen.queryByRole("button", { name: "Redeploy #12" })).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Redeploy #9" }));

    expect(onRedeploy).toHaveBeenCalledWith("qa", qa.history[1]);
  });

  it("shows no Redeploy button to a role below the environment's requiredRole", () => {
    render(
      <EnvironmentsTable project="shop" environments={[qa]} now={now} canDeploy={(e) => e.rules.requiredRole !== "release-manager"} busy={null} onRedeploy={() => {}} />,
    );

    expect(screen.queryByRole("button")).toBeNull();
  });

  it("says when a redeploy is under way and disables the other buttons", () => {
    const third = deployment(1, 5, "#5", 600);
    const environment = { ...qa, history: [...qa.history, third] };
    render(<EnvironmentsTable project="shop" environments={[environment]} now={now} canDeploy={() => true} busy={3} onRedeploy={() => {}} />);

    expect((screen.getByRole("button", { name: "Redeploying…" }) as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByRole("button", { name: "Redeploy #5" }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("explains an empty list", () => {
    render(<EnvironmentsTable project="shop" environments={[]} now={now} canDeploy={() => true} busy={null} onRedeploy={() => {}} />);

    expect(screen.getByText(/No environment yet/)).toBeTruthy();
  });
});
