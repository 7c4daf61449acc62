import type { Job } from "../../api/types";
import type { RunRef } from "../../routing/paths";
import { useMediaQuery } from "../../hooks/useMediaQuery";
import { JobCard } from "./JobCard";
import { layoutGraph } from "./layout";

interface StageGraphProps {
  run: RunRef;
  stages: string[];
  jobs: Job[];
  selectedJob?: string;
  now: number;
  canApprove: boolean;
  approving: string | null;
  onApprove: (job: string) => void;
}

/**
 * The run's stages as columns of job cards, with an arrow for every `needs` (routed between cards, never across one);
 * wider than the page, it pans. On a phone the stages are a list, each job saying what it needs.
 */
export function StageGraph({ run, stages, jobs, selectedJob, now, canApprove, approving, onApprove }: StageGraphProps) {
  const narrow = useMediaQuery("(max-width: 640px)");
  const layout = layoutGraph(stages, jobs);
  if (narrow) {
    return (
      <div className="stage-list" role="group" aria-label="Stages and jobs">
        {layout.columns.map((column) => (
          <section key={column.stage} className="stage-list-stage" aria-label={`Stage ${column.stage}`}>
            <h3 className="stage-list-title" data-stage={column.stage}>
              {column.stage}
            </h3>
            {layout.jobs
              .filter((placed) => placed.job.stage === column.stage)
              .map((placed) => (
                <div key={placed.job.id} className="stage-list-job">
                  <JobCard
                    run={run}
                    job={placed.job}
                    selected={placed.job.id === selectedJob}
                    now={now}
                    canApprove={canApprove}
                    approving={approving === placed.job.id}
                    onApprove={onApprove}
                  />
                  {placed.job.needs.length > 0 && <small className="muted needs-line">needs {placed.job.needs.join(", ")}</small>}
                </div>
              ))}
          </section>
        ))}
      </div>
    );
  }
  return (
    <div className="stage-graph-scroll">
      <div className="stage-graph" style={{ width: layout.width, height: layout.height }} role="group" aria-label="Stages and jobs">
        <svg className="stage-graph-arrows" width={layout.width} height={layout.height} aria-hidden="true">
          <defs>
            <marker id="arrowhead" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="8" markerHeight="8" markerUnits="userSpaceOnUse" orient="auto-start-reverse">
              <path d="M0,0 L8,4 L0,8 z" fill="currentColor" />
            </marker>
          </defs>
          {layout.edges.map((edge) => (
            <path
              key={`${edge.from}->${edge.to}`}
              className={`needs-arrow${selectedJob === edge.from || selectedJob === edge.to ? " active" : ""}`}
              d={edge.path}
              data-from={edge.from}
              data-to={edge.to}
              markerEnd="url(#arrowhead)"
            />
          ))}
        </svg>
        {layout.columns.map((column) => (
          <h3 key={column.stage} className="stage-title" style={{ left: column.x }} data-stage={column.stage}>
            {column.stage}
          </h3>
        ))}
        {layout.jobs.map((placed) => (
          <JobCard
            key={placed.job.id}
            run={run}
            job={placed.job}
            x={placed.x}
            y={placed.y}
            selected={placed.job.id === selectedJob}
            now={now}
            canApprove={canApprove}
            approving={approving === placed.job.id}
            onApprove={onApprove}
          />
        ))}
      </div>
    </div>
  );
}
