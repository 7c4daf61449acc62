import type { Job } from "../../api/types";

export const card = { width: 210, height: 84 };
const gap = { column: 60, row: 14 };
const padding = 12;
const headerHeight = 30;

export interface PlacedJob {
  job: Job;
  column: number;
  row: number;
  x: number;
  y: number;
}

export interface Edge {
  from: string;
  to: string;
  path: string;
}

export interface GraphLayout {
  columns: { stage: string; x: number }[];
  jobs: PlacedJob[];
  edges: Edge[];
  width: number;
  height: number;
}

/**
 * Stages as columns in pipeline order, each job a card in its stage's column, and an arrow per `needs` entry
 * from the needed job's card to the job's card. Computed, not measured: it renders the same everywhere.
 */
export function layoutGraph(stages: string[], jobs: Job[]): GraphLayout {
  const order = [...stages];
  for (const job of jobs) if (!order.includes(job.stage)) order.push(job.stage);
  const used = order.filter((stage) => jobs.some((job) => job.stage === stage));

  const placed = new Map<string, PlacedJob>();
  const rows = new Map<string, number>();
  for (const job of jobs) {
    const column = used.indexOf(job.stage);
    const row = rows.get(job.stage) ?? 0;
    rows.set(job.stage, row + 1);
    placed.set(job.id, { job, column, row, x: columnX(column), y: rowY(row) });
  }

  const edges: Edge[] = [];
  for (const target of placed.values()) {
    for (const need of target.job.needs) {
      const source = placed.get(need);
      if (source) edges.push({ from: need, to: target.job.id, path: arrowPath(source, target) });
    }
  }

  const maxRows = Math.max(1, ...rows.values());
  return {
    columns: used.map((stage, i) => ({ stage, x: columnX(i) })),
    jobs: [...placed.values()],
    edges,
    width: padding * 2 + Math.max(1, used.length) * card.width + Math.max(0, used.length - 1) * gap.column,
    height: padding * 2 + headerHeight + maxRows * card.height + (maxRows - 1) * gap.row,
  };
}

const columnX = (column: number) => padding + column * (card.width + gap.column);
const rowY = (row: number) => padding + headerHeight + row * (card.height + gap.row);

function arrowPath(source: PlacedJob, target: PlacedJob): string {
  const sy = source.y + card.height / 2;
  const ty = target.y + card.height / 2;
  if (source.column === target.column) {
    // A need within one stage: out of the right side and back in, bulging into the gap, never into the next stage.
    const x = source.x + card.width;
    const bulge = Math.min(gap.column - 12, 26 + 6 * Math.abs(target.row - source.row));
    return `M${x},${sy} C${x + bulge},${sy} ${x + bulge},${ty} ${x + 4},${ty}`;
  }
  const forward = source.column < target.column;
  const sx = forward ? source.x + card.width : source.x;
  const tx = forward ? target.x - 4 : target.x + card.width + 4;
  if (Math.abs(target.column - source.column) === 1) {
    // Neighbouring stages: a curve inside the gap between them.
    const bend = (tx - sx) / 2;
    return `M${sx},${sy} C${sx + bend},${sy} ${tx - bend},${ty} ${tx},${ty}`;
  }
  // Across stages: into the gap, along the lane between the rows just below the source row (where no card is, in any
  // column), then down or up in the gap before the target. Arrows never cross a card.
  const step = forward ? gap.column / 2 : -gap.column / 2;
  const lane = source.y + card.height + gap.row / 2;
  const before = (forward ? target.x : target.x + card.width) - step;
  return `M${sx},${sy} H${sx + step} V${lane} H${before} V${ty} H${tx}`;
}
