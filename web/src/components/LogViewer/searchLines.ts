import { stripAnsi } from "./ansi";
import type { LogBuffer } from "./logBuffer";
import { splitStoredLine } from "./storedLine";

export const maxLocalMatches = 10_000;

/** Line numbers of the held lines whose shown text contains the query (any case). */
export function searchLines(buffer: LogBuffer, query: string): { lines: number[]; truncated: boolean } {
  const needle = query.toLowerCase();
  const lines: number[] = [];
  for (let i = 0; i < buffer.lines.length; i++) {
    const raw = buffer.lines[i] ?? "";
    // Cheap rejection first: most lines do not hold the needle in any form.
    if (!raw.toLowerCase().includes(needle) && !raw.includes("\x1b")) continue;
    if (stripAnsi(splitStoredLine(raw).text).toLowerCase().includes(needle)) {
      lines.push(buffer.firstLine + i);
      if (lines.length >= maxLocalMatches) return { lines, truncated: true };
    }
  }
  return { lines, truncated: false };
}
