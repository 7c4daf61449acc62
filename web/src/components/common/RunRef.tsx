import type { RunSummary } from "../../api/types";
import { Link } from "../../routing/router";
import { paths } from "../../routing/paths";

const eventLabels: Record<string, string> = {
  push: "push",
  pull_request: "pull request",
  tag: "tag",
  schedule: "schedule",
  manual: "manual",
};

export const eventLabel = (event: string) => eventLabels[event] ?? event;

/** Where a run comes from: its branch, its tag, or its pull request (linking to the pull request view). */
export function RunRef({ run }: { run: Pick<RunSummary, "project" | "branch" | "tag" | "pullRequest"> }) {
  if (run.pullRequest !== null) {
    return (
      <Link className="ref ref-pr" to={paths.pullRequest(run.project, run.pullRequest)}>
        PR #{run.pullRequest}
        {run.branch ? ` → ${run.branch}` : ""}
      </Link>
    );
  }
  if (run.tag) return <span className="ref ref-tag">tag {run.tag}</span>;
  return <span className="ref ref-branch">{run.branch ?? "—"}</span>;
}
