import { useState } from "react";
import { api } from "../api/client";
import { prefetchLog } from "../api/logPrefetch";
import { finishedStatuses } from "../api/types";
import { ArtifactsSection } from "../components/Artifacts/ArtifactsSection";
import { ErrorNotice, Loading } from "../components/common/Notice";
import { ForgeStatusSection } from "../components/ForgeStatuses/ForgeStatusSection";
import { PromoteButtons } from "../components/Environments/PromoteButtons";
import { PromotionDialog } from "../components/Environments/PromotionDialog";
import { AppShell } from "../components/Layout/AppShell";
import { RunActions } from "../components/RunActions/RunActions";
import { FindingsSection } from "../components/Reports/FindingsSection";
import { TestReportSection } from "../components/Reports/TestReportSection";
import { JobPanel } from "../components/Runs/JobPanel";
import { RunErrors } from "../components/Runs/RunErrors";
import { RunHeader } from "../components/Runs/RunHeader";
import { StageGraph } from "../components/StageGraph/StageGraph";
import { useSession } from "../hooks/session";
import { useAction } from "../hooks/useAction";
import { useAsync } from "../hooks/useAsync";
import { useNow } from "../hooks/useNow";
import { useRunLive, type RunAddress } from "../hooks/useRunLive";
import { useLocation } from "../routing/router";
import { paths } from "../routing/paths";

/** A run: header, actions, the stage graph, and the selected job's log — all live while the run is unfinished. */
export function RunDetailPage({ address, job }: { address: RunAddress; job?: string }) {
  // The log is read while the run loads, not after (by id; by number the run's id comes with the run).
  useState(() => job && "id" in address && prefetchLog(api, address.id, job));
  const live = useRunLive(address);
  const session = useSession();
  const action = useAction();
  const { search } = useLocation();
  const run = live.run;
  const unfinished = run !== undefined && !finishedStatuses.has(run.status);
  const now = useNow(unfinished);
  // Where this user may promote the run is the server's answer to each environment's rules (role, branch or tag, order).
  const version = run?.jobs.map((j) => `${j.status}:${j.attempts.length}`).join(",") ?? "";
  const promotions = useAsync(() => (run ? api.promotionOptions(run.id) : Promise.resolve([])), [run?.id, version, session.me?.role]);
  const optionOf = (environment: string) => promotions.data?.find((o) => o.environment === environment);
  const canPromote = (environment: string) => optionOf(environment)?.allowed ?? false;
  const whyNot = (environment: string) => {
    const option = optionOf(environment);
    return option && !option.allowed && option.rule ? `rule '${option.rule}': ${option.reason}` : null;
  };
  const [confirming, setConfirming] = useState<string | null>(null);

  const crumbs = [
    { label: "Projects", to: paths.projects() },
    ...(run ? [{ label: run.project, to: paths.projectRuns(run.project) }] : []),
    ...("project" in address && !run ? [{ label: address.project, to: paths.projectRuns(address.project) }] : []),
    {
      label: `Run ${run ? `#${run.number}` : "project" in address ? `#${address.number}` : address.id}`,
      to: job && run ? paths.run(run) : undefined,
    },
    ...(job ? [{ label: job }] : []),
  ];

  if (!run) {
    return (
      <AppShell crumbs={crumbs}>
        {live.error ? <ErrorNotice error={live.error} /> : <Loading what="Loading the run" />}
      </AppShell>
    );
  }

  const runId = run.id;
  const act = (name: string, call: () => Promise<unknown>) => void action.run(name, call).then((ok) => ok && live.reload());
  const selected = job ? run.jobs.find((j) => j.id === job) : undefined;
  const attempt = search.get("attempt");

  return (
    <AppShell crumbs={crumbs}>
      <RunHeader run={run} now={now} connected={live.connected} />
      <RunActions
        run={run}
        canOperate={session.can("developer")}
        busy={action.busy}
        onCancel={() => act("cancel", () => api.cancel(runId))}
        onRetry={() => act("retry", () => api.retry(runId))}
        onPin={(pin) => act("pin", () => (pin ? api.pin(runId) : api.unpin(runId)))}
      />
      <PromoteButtons
        project={run.project}
        jobs={run.jobs}
        canPromote={canPromote}
        whyNot={whyNot}
        busy={action.busy?.startsWith("promote:") ? action.busy.slice(8) : null}
        onPromote={setConfirming}
      />
      {confirming && optionOf(confirming) && (
        <PromotionDialog
          run={run}
          option={optionOf(confirming)!}
          busy={action.busy === `promote:${confirming}`}
          onCancel={() => setConfirming(null)}
          onConfirm={() => {
            const environment = confirming;
            setConfirming(null);
            act(`promote:${environment}`, () => api.promote(runId, environment));
          }}
        />
      )}
      {action.error && <ErrorNotice error={action.error} />}
      {run.errors && run.errors.length > 0 && <RunErrors errors={run.errors} />}
      {run.jobs.length > 0 && (
        <StageGraph
          run={run}
          stages={run.stages}
          jobs={run.jobs}
          selectedJob={job}
          now={now}
          canApprove={session.can("release-manager")}
          approving={action.busy?.startsWith("approve:") ? action.busy.slice(8) : null}
          onApprove={(id) => act(`approve:${id}`, () => api.approve(runId, id))}
        />
      )}
      {job && !selected && <p className="notice error">This run has no job named “{job}”.</p>}
      {selected ? (
        <JobPanel run={run} job={selected} attempt={attempt ? Number(attempt) : undefined} now={now} logLines={live.logLines} />
      ) : (
        !job && run.jobs.length > 0 && <p className="notice hint">Choose a job in the graph to see its log.</p>
      )}
      <TestReportSection runId={runId} version={version} />
      <FindingsSection runId={runId} version={version} />
      <ArtifactsSection
        runId={runId}
        job={selected?.id}
        version={version}
      />
      <ForgeStatusSection runId={runId} runStatus={run.status} />
    </AppShell>
  );
}
