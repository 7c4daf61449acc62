import { finishedStatuses, type Run } from "../../api/types";

interface RunActionsProps {
  run: Run;
  canOperate: boolean;
  busy: string | null;
  onCancel: () => void;
  onRetry: () => void;
  onPin: (pinned: boolean) => void;
}

const retryable = new Set(["failed", "canceled", "timed_out"]);

/**
 * Cancel, retry, pin and unpin, shown only to roles that may use them (developer and above); whether the run is pinned
 * (retention keeps its logs and artifacts) is shown to everyone.
 */
export function RunActions({ run, canOperate, busy, onCancel, onRetry, onPin }: RunActionsProps) {
  const pinned = run.pinned === true;
  const note = pinned && (
    <span className="run-pinned" title="Retention keeps this run's logs and artifacts">
      Pinned{run.pinnedBy ? ` by ${run.pinnedBy}` : ""}
    </span>
  );
  if (!canOperate || run.status === "invalid") return note ? <div className="run-actions">{note}</div> : null;
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
      <button
        type="button"
        onClick={() => onPin(!pinned)}
        disabled={busy !== null}
        title={pinned ? "Let retention remove this run's logs and artifacts again" : "Keep this run's logs and artifacts whatever retention says"}
      >
        {busy === "pin" ? (pinned ? "Unpinning…" : "Pinning…") : pinned ? "Unpin run" : "Pin run"}
      </button>
      {note}
    </div>
  );
}
