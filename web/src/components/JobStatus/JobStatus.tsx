import type { RunStatus } from "../../api/types";
import { StatusIcon } from "./StatusIcon";
import { statusLabel } from "./statusLabels";

interface JobStatusProps {
  status: RunStatus;
  /** Replaces the status word, e.g. "Waiting for approval". */
  label?: string;
  compact?: boolean;
}

/** A status as an icon and a word, never colour alone. */
export function JobStatus({ status, label, compact }: JobStatusProps) {
  const text = label ?? statusLabel(status);
  return (
    <span className={`job-status status-${status}${compact ? " compact" : ""}`} data-status={status} title={text}>
      <StatusIcon status={status} />
      <span className="job-status-text">{text}</span>
    </span>
  );
}
