import type { RunStatus } from "../../api/types";

// Each status has its own shape, so it reads without colour (and for colour-blind people).
const shapes: Record<RunStatus, string> = {
  succeeded: "M5 8.5l2 2 4-4.5",
  failed: "M5.5 5.5l5 5M10.5 5.5l-5 5",
  timed_out: "M8 4.5V8l2.5 1.5",
  canceled: "M4.8 11.2l6.4-6.4",
  skipped: "M5 8h6M8.5 5.5L11 8l-2.5 2.5",
  invalid: "M8 4.5v4.5M8 11v.5",
  waiting: "M6 5.5v5M10 5.5v5",
  pending: "M5 8h.01M8 8h.01M11 8h.01",
  queued: "M5 8h.01M8 8h.01M11 8h.01",
  running: "M8 2.5a5.5 5.5 0 0 1 5.5 5.5",
};

export function StatusIcon({ status }: { status: RunStatus }) {
  const running = status === "running";
  return (
    <svg className={`status-icon${running ? " spin" : ""}`} viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
      <circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" strokeWidth="1.5" strokeDasharray={status === "queued" || status === "pending" ? "2 2" : undefined} opacity={running ? 0.35 : 1} />
      <path d={shapes[status] ?? shapes.pending} fill="none" stroke="currentColor" strokeWidth={status === "pending" || status === "queued" ? 2.2 : 1.6} strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}
