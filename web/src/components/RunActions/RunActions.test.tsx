import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { Run } from "../../api/types";
import { RunActions } from "./RunActions";

function run(overrides: Partial<Run> = {}): Run {
  return {
    id: 41, project: "shop", number: 7, status: "succeeded", event: "push", branch: "main", tag: null, commit: "0123456789abcdef",
    commitMessage: null, author: null, pullRequest: null, sourceBranch: null, trigger: "push", createdAt: "2026-12-04T10:00:00Z",
    startedAt: null, finishedAt: null, durationSeconds: null, stages: [], jobs: [], errors: null, ...overrides,
  };
}

const noop = () => {};

describe("RunActions", () => {
  it("pins a run that is not pinned, and unpins a pinned one, naming who pinned it", () => {
    const onPin = vi.fn();
    const { rerender } = render(<RunActions run={run()} canOperate busy={null} onCancel={noop} onRetry={noop} onPin={onPin} />);
    fireEvent.click(screen.getByRole("button", { name: "Pin run" }));
    expect(onPin).toHaveBeenLastCalledWith(true);
    expect(screen.queryByText(/^Pinned/)).toBeNull();

    rerender(<RunActions run={run({ pinned: true, pinnedBy: "alice" })} canOperate busy={null} onCancel={noop} onRetry={noop} onPin={onPin} />);
    expect(screen.getByText("Pinned by alice")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Unpin run" }));
    expect(onPin).toHaveBeenLastCalledWith(false);

    rerender(<RunActions run={run({ pinned: true, pinnedBy: "alice" })} canOperate busy="pin" onCancel={noop} onRetry={noop} onPin={onPin} />);
    expect((screen.getByRole("button", { name: "Unpinning…" }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("shows a viewer that the run is pinned, with no button", () => {
    render(<RunActions run={run({ pinned: true, pinnedBy: "alice" })} canOperate={false} busy={null} onCancel={noop} onRetry={noop} onPin={noop} />);
    expect(screen.getByText("Pinned by alice")).toBeTruthy();
    expect(screen.queryByRole("button")).toBeNull();
  });
});
