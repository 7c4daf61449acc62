import type { LogPages } from "../../api/types";

interface LogPagerProps {
  pages: LogPages;
  pageIndex: number;
  firstLine: number;
  lastLine: number;
  /** Where to show the page: its first lines, or (going backwards or to the end) its last ones. */
  onPage: (index: number, at: "start" | "end") => void;
}

/** For a log too large to hold: which part is shown, and buttons to move through it. */
export function LogPager({ pages, pageIndex, firstLine, lastLine, onPage }: LogPagerProps) {
  const count = pages.pages.length;
  const format = (n: number) => n.toLocaleString("en-US");
  return (
    <nav className="log-pager" aria-label="Log pages">
      <span>
        Page {pageIndex + 1} of {count} · lines {format(firstLine)}–{format(Math.max(firstLine, lastLine))} of{" "}
        {format(pages.lines)} · {formatBytes(pages.size)}
      </span>
      <span className="button-group">
        <button type="button" onClick={() => onPage(0, "start")} disabled={pageIndex === 0}>
          First
        </button>
        <button type="button" onClick={() => onPage(pageIndex - 1, "end")} disabled={pageIndex === 0}>
          Previous
        </button>
        <button type="button" onClick={() => onPage(pageIndex + 1, "start")} disabled={pageIndex >= count - 1}>
          Next
        </button>
        <button type="button" onClick={() => onPage(count - 1, "end")} disabled={pageIndex >= count - 1}>
          Last
        </button>
      </span>
    </nav>
  );
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
