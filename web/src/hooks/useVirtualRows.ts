import { useCallback, useEffect, useState, type RefObject } from "react";
import { flushSync } from "react-dom";

export interface VirtualRows {
  /** First and one-past-last row index to render. */
  start: number;
  end: number;
  totalHeight: number;
  /** Reads the scroll position again (after scrolling from code). */
  measure: () => void;
}

// jsdom (tests) lays nothing out; a viewport this tall is assumed there.
const fallbackViewport = 600;

/**
 * Fixed-height row virtualisation: only the rows in (or near) the viewport are rendered, so a log of any length
 * costs the same to draw and to scroll. The window moves in steps of a few rows, rendered inside the scroll event
 * itself, so scrolling never shows a blank frame and small scrolls cost no render at all.
 */
export function useVirtualRows(
  viewport: RefObject<HTMLElement | null>,
  count: number,
  rowHeight: number,
  overscan = 24,
): VirtualRows {
  const step = Math.max(1, Math.floor(overscan / 3));
  const [anchor, setAnchor] = useState(0);
  const [height, setHeight] = useState(fallbackViewport);

  const anchorOf = useCallback(
    (element: HTMLElement) => {
      const first = Math.floor(element.scrollTop / rowHeight);
      return first - (first % step);
    },
    [rowHeight, step],
  );

  const measure = useCallback(() => {
    const element = viewport.current;
    if (!element) return;
    setAnchor(anchorOf(element));
    setHeight(element.clientHeight || fallbackViewport);
  }, [viewport, anchorOf]);

  useEffect(() => {
    const element = viewport.current;
    if (!element) return;
    let current = anchorOf(element);
    const onScroll = () => {
      const next = anchorOf(element);
      if (next === current) return;
      current = next;
      flushSync(() => setAnchor(next));
    };
    element.addEventListener("scroll", onScroll, { passive: true });
    const resize = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(measure);
    resize?.observe(element);
    measure();
    return () => {
      element.removeEventListener("scroll", onScroll);
      resize?.disconnect();
    };
  }, [viewport, measure, anchorOf]);

  const visible = Math.ceil(height / rowHeight);
  return {
    start: Math.max(0, Math.min(count, anchor - overscan)),
    end: Math.min(count, anchor + step + visible + overscan),
    totalHeight: count * rowHeight,
    measure,
  };
}
