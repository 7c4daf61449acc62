import { useCallback, useEffect, useState, type RefObject } from "react";

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
 * costs the same to draw and to scroll.
 */
export function useVirtualRows(
  viewport: RefObject<HTMLElement | null>,
  count: number,
  rowHeight: number,
  overscan = 20,
): VirtualRows {
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(fallbackViewport);

  const measure = useCallback(() => {
    const element = viewport.current;
    if (!element) return;
    setScrollTop(element.scrollTop);
    setHeight(element.clientHeight || fallbackViewport);
  }, [viewport]);

  useEffect(() => {
    const element = viewport.current;
    if (!element) return;
    let frame = 0;
    const onScroll = () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        measure();
      });
    };
    element.addEventListener("scroll", onScroll, { passive: true });
    const resize = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(measure);
    resize?.observe(element);
    measure();
    return () => {
      element.removeEventListener("scroll", onScroll);
      resize?.disconnect();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [viewport, measure]);

  const first = Math.floor(scrollTop / rowHeight);
  const visible = Math.ceil(height / rowHeight);
  return {
    start: Math.max(0, Math.min(count, first - overscan)),
    end: Math.min(count, first + visible + overscan),
    totalHeight: count * rowHeight,
    measure,
  };
}
