import type { PlanPreview } from "../../api/types";

const decisionWords = { run: "will run", skip: "will be skipped", manual: "waits for a person" } as const;

/** What the run would do, job by job, in the words people read it: "stress will be skipped: …". */
export function PlanPreviewList({ plan }: { plan: PlanPreview }) {
  if (!plan.runs) {
    return (
      <p className="notice error" role="status">
        No run would start: {plan.reason}
      </p>
    );
  }
  return (
    <section className="plan-preview" aria-label="Plan preview">
      <h3>
        The run at <code>{plan.commit?.slice(0, 12)}</code>
        {plan.branch ? ` (${plan.branch})` : ""}
      </h3>
      {plan.errors.length > 0 ? (
        <>
          <p className="notice error">{plan.reason}</p>
          <ul>
            {plan.errors.map((error) => (
              <li key={`${error.line}:${error.column}`}>
                line {error.line}, column {error.column}: {error.message}
              </li>
            ))}
          </ul>
        </>
      ) : (
        plan.stages.map((stage) => (
          <div key={stage} className="plan-stage">
            <h4>{stage}</h4>
            <ul>
              {plan.jobs
                .filter((job) => job.stage === stage)
                .map((job) => (
                  <li key={job.id} className={`plan-job decision-${job.decision}`} data-job={job.id}>
                    <strong>{job.id}</strong> {decisionWords[job.decision]}
                    {job.reason ? `: ${job.reason}` : ""}
                    {job.environment ? ` (environment ${job.environment})` : ""}
                  </li>
                ))}
            </ul>
          </div>
        ))
      )}
    </section>
  );
}
