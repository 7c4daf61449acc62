import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Run } from "../../api/types";
import { RunHeader } from "./RunHeader";

const finished: Run = {
  id: 7, project: "shop", number: 7, status: "succeeded", event: "push", branch: "main", tag: null, commit: "abcdef0123456789",
  commitMessage: "Ship it", author: "dana", pullRequest: null, sourceBranch: null, trigger: "webhook",
  createdAt: "2026-12-04T10:00:00Z", startedAt: "2026-12-04T10:00:00Z", finishedAt: "2026-12-04T10:01:30Z", durationSeconds: 90,
  manualJobsAvailable: true, stages: ["build", "production"],
  jobs: [], errors: null,
};

describe("RunHeader", () => {
  it("says a run that finished without its manual jobs has them available, with the duration it took", () => {
    const now = Date.parse("2026-12-04T12:00:00Z");
    render(<RunHeader run={finished} now={now} connected={false} />);

    const status = screen.getByTitle("Succeeded, manual jobs available");
    expect(status.getAttribute("data-status")).toBe("succeeded");
    expect(screen.getByText("1m 30s")).toBeTruthy();
  });

  it("says only the status when no manual job is left", () => {
    render(<RunHeader run={{ ...finished, manualJobsAvailable: false }} now={Date.now()} connected={false} />);

    expect(screen.getByTitle("Succeeded")).toBeTruthy();
    expect(screen.queryByText(/manual jobs available/)).toBeNull();
  });
});
