import { useEffect, useLayoutEffect, useRef, type MouseEvent } from "react";
import { useVirtualRows } from "../../hooks/useVirtualRows";
import type { LogBuffer } from "./logBuffer";
import { LogRow } from "./LogRow";

export const rowHeight = 18;

export interface LineRange {
  from: number;
  to: number;
}

export interface ScrollRequest {
  line: number;
  /** A new number asks again for the same line. */
  seq: number;
}

interface VirtualLogProps {
  buffer: LogBuffer;
  version: number;
  follow: boolean;
  onFollowChange: (follow: boolean) => void;
  selected: LineRange | null;
  currentMatch: number | null;
  mark?: string;
  showTime: boolean;
  scrollRequest: ScrollRequest | null;
  onNumberClick: (line: number, event: MouseEvent<HTMLAnchorElement>) => void;
}

/** The log's lines, only the visible window of them in the DOM; follows the end when asked to. */
export function VirtualLog(props: VirtualLogProps) {
  const { buffer, version, follow, onFollowChange, selected, currentMatch, mark, showTime, scrollRequest } = props;
  const viewport = useRef<HTMLDivElement>(null);
  const lastScrollTop = useRef(0);
  const handledRequest = useRef<number | null>(null);
  const count = buffer.lineCount;
  const { start, end, totalHeight, measure } = useVirtualRows(viewport, count, rowHeight);

  // Scrolling up leaves follow mode; scrolling back to the end enters it again.
  useEffect(() => {
    const element = viewport.current;
    if (!element) return;
    const onScroll = () => {
      const top = element.scrollTop;
      const atEnd = top + element.clientHeight >= element.scrollHeight - rowHeight;
      if (top < lastScrollTop.current - 1 && !atEnd) onFollowChange(false);
      else if (atEnd && top > lastScrollTop.current) onFollowChange(true);
      lastScrollTop.current = top;
    };
    element.addEventListener("scroll", onScroll, { passive: true });
    return () => element.removeEventListener("scroll", onScroll);
  }, [onFollowChange]);

  useLayoutEffect(() => {
    const element = viewport.current;
    if (!element || !follow) return;
    element.scrollTop = element.scrollHeight;
    lastScrollTop.current = element.scrollTop;
    measure();
  }, [follow, version, count, measure]);

  useLayoutEffect(() => {
    const element = viewport.current;
    if (!element || !scrollRequest || handledRequest.current === scrollRequest.seq) return;
    const index = scrollRequest.line - buffer.firstLine;
    if (index < 0 || index >= count) return;
    handledRequest.current = scrollRequest.seq;
    element.scrollTop = Math.max(0, index * rowHeight - element.clientHeight / 3);
    lastScrollTop.current = element.scrollTop;
    measure();
  }, [scrollRequest, buffer, count, version, measure]);

  const digits = String(buffer.firstLine + Math.max(count, 1) - 1).length;
  const rows = [];
  for (let i = start; i < end; i++) {
    const number = buffer.firstLine + i;
    rows.push(
      <LogRow
        key={number}
        number={number}
        raw={buffer.lines[i] ?? ""}
        showTime={showTime}
        selected={selected !== null && number >= selected.from && number <= selected.to}
        current={number === currentMatch}
        mark={mark}
        onNumberClick={props.onNumberClick}
      />,
    );
  }

  return (
    <div
      ref={viewport}
      className="log-viewport"
      role="log"
      aria-label="Job log"
      tabIndex={0}
      style={{ ["--gutter-digits" as string]: digits }}
      data-rendered-rows={end - start}
    >
      <div className="log-canvas" style={{ height: totalHeight }}>
        <div className="log-rows" style={{ transform: `translateY(${start * rowHeight}px)` }}>
          {rows}
        </div>
      </div>
    </div>
  );
}
