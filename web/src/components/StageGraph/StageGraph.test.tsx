import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Job } from "../../api/types";
import { StageGraph } from "./StageGraph";
import { card, layoutGraph } from "./layout";

function job(id: string, stage: string, needs: string[] = [], extra: Partial<Job> = {}): Job {
  return {
    id, stage, needs, status: "succeeded", reason: null, manual: false, allowFailure: false, environment: null, runsOn: [],
    approvedBy: null, startedAt: null, finishedAt: null, durationSeconds: 12, attempts: [], ...extra,
  };
}

const jobs = [
  job("compile", "build"),
  job("lint", "build"),
  job("unit", "test", ["compile"]),
  job("e2e", "test", ["compile", "unit"]),
  job("deploy", "release", ["unit", "e2e"], { status: "pending", manual: true, reason: "waiting for approval" }),
];

function renderGraph(canApprove = false) {
  return render(
    <StageGraph run={{ project: "shop", number: 7 }} stages={["build", "test", "release", "unused"]} jobs={jobs} now={Date.now()} canApprove={canApprove} approving={null} onApprove={() => {}} />,
  );
}

describe("StageGraph", () => {
  it("draws one column per stage that has jobs, in pipeline order", () => {
    const { container } = renderGraph();
    const titles = [...container.querySelectorAll(".stage-title")].map((t) => t.textContent);
    expect(titles).toEqual(["build", "test", "release"]);
  });

  it("puts each job in its stage's column", () => {
    const layout = layoutGraph(["build", "test", "release"], jobs);
    const columnOf = (id: string) => layout.jobs.find((p) => p.job.id === id)?.column;
    expect([columnOf("compile"), columnOf("lint"), columnOf("unit"), columnOf("e2e"), columnOf("deploy")]).toEqual([0, 0, 1, 1, 2]);
    const xOf = (id: string) => layout.jobs.find((p) => p.job.id === id)!.x;
    expect(xOf("compile")).toBe(xOf("lint"));
    expect(xOf("unit")).toBeGreaterThan(xOf("compile") + card.width);
  });

  it("draws an arrow for every need, from the needed job to the job", () => {
    const { container } = renderGraph();
    const arrows = [...container.querySelectorAll("path.needs-arrow")].map((p) => `${p.getAttribute("data-from")}->${p.getAttribute("data-to")}`);
    expect(arrows.sort()).toEqual(["compile->e2e", "compile->unit", "e2e->deploy", "unit->deploy", "unit->e2e"].sort());
    for (const path of container.querySelectorAll("path.needs-arrow")) {
      expect(path.getAttribute("d")).toMatch(/^M[\d.]+,[\d.]+ C/);
      expect(path.getAttribute("marker-end")).toBe("url(#arrowhead)");
    }
  });

  it("starts arrows at the needed card's right edge and ends them at the job's left edge", () => {
    const layout = layoutGraph(["build", "test"], jobs.slice(0, 3));
    const edge = layout.edges.find((e) => e.from === "compile" && e.to === "unit")!;
    const compile = layout.jobs.find((p) => p.job.id === "compile")!;
    const unit = layout.jobs.find((p) => p.job.id === "unit")!;
    const [start, , , end] = edge.path.replace(/[MC]/g, "").trim().split(/\s+/);
    expect(start).toBe(`${compile.x + card.width},${compile.y + card.height / 2}`);
    expect(Number(end!.split(",")[0])).toBeLessThan(unit.x);
  });

  it("links every job to its log and says why a job waits", () => {
    renderGraph();
    expect(screen.getByRole("link", { name: "unit" }).getAttribute("href")).toBe("/projects/shop/runs/7/jobs/unit");
    expect(screen.getByText("Waiting for approval")).toBeTruthy();
    expect(screen.getByText("waiting for approval")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Approve" })).toBeNull();
  });

  it("offers Approve only when the role allows it", () => {
    renderGraph(true);
    expect(screen.getByRole("button", { name: "Approve" })).toBeTruthy();
  });

  it("shows on each job card the agent that runs or ran it, but not for a job queued again", () => {
    const attempt = (agent: string) => ({
      number: 1, status: "succeeded" as const, startedAt: "2026-12-04T10:00:00Z", finishedAt: null, durationSeconds: null,
      exitCode: null, message: null, peakMemoryBytes: null, agent,
    });
    render(
      <StageGraph
        run={{ project: "shop", number: 7 }}
        stages={["build"]}
        jobs={[
          job("compile", "build", [], { attempts: [attempt("build-1")] }),
          job("stress", "build", [], { status: "running", attempts: [attempt("perf-2")] }),
          job("lint", "build", [], { status: "queued", attempts: [attempt("old-box")] }),
        ]}
        now={Date.now()}
        canApprove={false}
        approving={null}
        onApprove={() => {}}
      />,
    );
    expect(screen.getByTitle("compile ran on agent build-1").textContent).toBe("on build-1");
    expect(screen.getByTitle("stress runs on agent perf-2").textContent).toBe("on perf-2");
    expect(screen.queryByText("on old-box")).toBeNull();
  });
});
