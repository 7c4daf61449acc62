import { finishedStatuses, type Run } from "../../api/types";

interface RunActionsProps {
  run: Run;
  canOperate: boolean;
  busy: string | null;
  onCancel: () => void;
  onRetry: () => void;
}

const retryable = new Set(["failed", "canceled", "timed_out"]);

/** Cancel and retry, shown only to roles that may use them (developer and above). */
export function RunActions({ run, canOperate, busy, onCancel, onRetry }: RunActionsProps) {
  if (!canOperate || run.status === "invalid") return null;
  const finished = finishedStatuses.has(run.status);
  return (
    <div className="run-actions">
      {!finished && (
        <button type="button" className="danger" onClick={onCancel} disabled={busy !== null}>
          {busy === "cancel" ? "Canceling…" : "Cancel run"}
        </button>
      )}
      {finished && retryable.has(run.status) && (
        <button type="button" onClick={onRetry} disabled={busy !== null}>
          {busy === "retry" ? "Retrying…" : "Retry failed jobs"}
        </button>
      )}
    </div>
  );
}
