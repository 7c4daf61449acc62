import type { Job } from "../../api/types";
import type { RunRef } from "../../routing/paths";
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

/** The run's stages as columns of job cards, with an arrow for every `needs`. */
export function StageGraph({ run, stages, jobs, selectedJob, now, canApprove, approving, onApprove }: StageGraphProps) {
  const layout = layoutGraph(stages, jobs);
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
