import { api } from "../../api/client";
import { useAsync } from "../../hooks/useAsync";
import { formatBytesShort, formatDuration } from "../common/format";
import { TrendChart, type TrendValue } from "./TrendChart";
import type { JobTrendPoint } from "../../api/types";

interface JobTrendsProps {
  project: string;
  job: string;
  runId: number;
  attempt: number | undefined;
  /** Changes when the shown attempt ends, so that its point is read again. */
  refresh: string;
}

const formatCpu = (ms: number) => formatDuration(ms / 1000);

/**
 * Resource trends of a job: its duration, peak memory and CPU time over its recent finished attempts (every branch),
 * against its timeout and memory limit, so that a job that slowly grows is seen before it hits its limit.
 */
export function JobTrends({ project, job, runId, attempt, refresh }: JobTrendsProps) {
  const { data, error } = useAsync((signal) => api.jobTrend(project, job, signal), [project, job, refresh]);
  if (error) return <p className="notice trend-error">Resource trends: {error.message}</p>;
  if (!data || data.points.length === 0) return null;
  const series = (measure: (p: JobTrendPoint) => number | null): TrendValue[] =>
    data.points.map((p) => ({
      key: `${p.runId}:${p.attempt}`,
      value: measure(p),
      title: `#${p.number}${p.attempt > 1 ? ` attempt ${p.attempt}` : ""}${p.branch ? ` (${p.branch})` : ""}, ${p.status}`,
      current: p.runId === runId && p.attempt === attempt,
    }));
  return (
    <section className="job-trends" aria-label="Resource trends">
      <TrendChart label="Duration" values={series((p) => p.durationSeconds)} format={formatDuration} limit={data.limits?.timeoutSeconds} />
      <TrendChart label="Peak memory" values={series((p) => p.peakMemoryBytes)} format={formatBytesShort} limit={data.limits?.memoryBytes} />
      <TrendChart label="CPU time" values={series((p) => p.cpuTimeMs)} format={formatCpu} />
    </section>
  );
}
