import { useEffect, useRef } from "react";
import { api } from "../../api/client";
import type { PromotionOption, Run } from "../../api/types";
import { useAsync } from "../../hooks/useAsync";
import { formatBytesShort } from "../common/format";

interface PromotionDialogProps {
  run: Run;
  option: PromotionOption;
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}

/** Every job the given jobs wait for, directly or through others: whose archives they restore. */
function upstreamOf(run: Run, jobs: string[]): Set<string> {
  const byId = new Map(run.jobs.map((job) => [job.id, job]));
  const seen = new Set<string>();
  const visit = (id: string) => {
    for (const need of byId.get(id)?.needs ?? []) {
      if (!seen.has(need)) {
        seen.add(need);
        visit(need);
      }
    }
  };
  jobs.forEach(visit);
  return seen;
}

/** Asks before a promotion, naming what goes where: the run and its commit, the jobs it starts, the archives they deploy. */
export function PromotionDialog({ run, option, busy, onConfirm, onCancel }: PromotionDialogProps) {
  const artifacts = useAsync(() => api.artifacts(run.id), [run.id]);
  const upstream = upstreamOf(run, option.jobs);
  const deployed = (artifacts.data ?? []).filter((artifact) => upstream.has(artifact.job));
  const confirm = useRef<HTMLButtonElement>(null);
  useEffect(() => confirm.current?.focus(), []);
  const ref = run.tag ? `tag ${run.tag}` : run.branch ? `branch ${run.branch}` : "no branch";

  return (
    <div className="dialog-backdrop" onKeyDown={(e) => e.key === "Escape" && onCancel()}>
      <div role="dialog" aria-modal="true" aria-labelledby="promotion-title" className="dialog">
        <h2 id="promotion-title">
          Promote run #{run.number} to {option.environment}?
        </h2>
        <dl className="promotion-facts">
          <dt>Run</dt>
          <dd>
            #{run.number} of {run.project}, commit <code title={run.commit}>{run.commit.slice(0, 12)}</code> ({ref})
          </dd>
          <dt>Starts</dt>
          <dd>{option.jobs.join(", ")}</dd>
          <dt>Deploys</dt>
          <dd>
            {artifacts.data === undefined ? (
              "…"
            ) : deployed.length === 0 ? (
              "no archives (the jobs restore none)"
            ) : (
              <ul className="promotion-artifacts">
                {deployed.map((artifact) => (
                  <li key={artifact.name}>
                    <code>{artifact.name}</code> from {artifact.job}, {formatBytesShort(artifact.size)}, SHA-256{" "}
                    <code title={artifact.sha256}>{artifact.sha256.slice(0, 16)}…</code>
                  </li>
                ))}
              </ul>
            )}
          </dd>
          {option.approvals > 0 && (
            <>
              <dt>Approvals</dt>
              <dd>
                it waits for {option.approvals} approval{option.approvals === 1 ? "" : "s"} by someone other than you
              </dd>
            </>
          )}
        </dl>
        <div className="actions">
          <button ref={confirm} type="button" className="primary" onClick={onConfirm} disabled={busy}>
            {busy ? "Promoting…" : `Promote to ${option.environment}`}
          </button>
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </div>
    </div>
  );
}
