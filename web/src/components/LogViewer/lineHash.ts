import type { LineRange } from "./VirtualLog";

/** "#L12" or "#L12-L20" to a line range; anything else to null. */
export function parseLineHash(hash: string): LineRange | null {
  const match = /^#L(\d+)(?:-L?(\d+))?$/.exec(hash);
  if (!match) return null;
  const from = Number(match[1]);
  const to = match[2] ? Number(match[2]) : from;
  if (from < 1) return null;
  return from <= to ? { from, to } : { from: to, to: from };
}

export function lineHash(range: LineRange): string {
  return range.from === range.to ? `#L${range.from}` : `#L${range.from}-L${range.to}`;
}
