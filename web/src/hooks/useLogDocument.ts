import { useCallback, useEffect, useReducer, useRef, useState } from "react";
import { api, type Client } from "../api/client";
import { ApiError } from "../api/errors";
import { readLog } from "../api/logReader";
import type { LogLineEvent, LogPages } from "../api/types";
import { LogBuffer } from "../components/LogViewer/logBuffer";
import type { Emitter } from "./emitter";

/**
 * Logs up to this size are held whole; a larger one is read a page (this many bytes, cut at line starts) at a
 * time, so a 1 GB log never makes the page read, hold or lay out more than one page.
 */
export const pageBytes = 16 * 1024 * 1024;

export type LogPhase = "loading" | "ready" | "not-started" | "error";

export interface LogDocument {
  phase: LogPhase;
  error: string | null;
  /** The lines held now: the whole log, or the current page. */
  buffer: LogBuffer;
  /** Changes whenever the buffer does. */
  version: number;
  /** Set when the log is paged. */
  pages: LogPages | null;
  pageIndex: number;
  attempt: number | null;
  complete: boolean;
  /** Loads a page; answers its first and last line numbers once it is in. */
  goToPage: (index: number) => Promise<{ first: number; last: number } | null>;
  /** Makes sure the line is held (loading its page when paged); false when the log has no such line. */
  showLine: (line: number) => Promise<boolean>;
}

interface Options {
  runId: number;
  job: string;
  attempt?: number;
  /** The job is running: the log grows. */
  live: boolean;
  logLines?: Emitter<LogLineEvent>;
  client?: Client;
  /** Tests use small pages; the server's page size is the same as pageBytes. */
  pageBytes?: number;
}

/** Reads a job's log: whole or by pages, streaming it in, then following it while the job runs. */
export function useLogDocument({ runId, job, attempt, live, logLines, client = api, pageBytes: pageSize = pageBytes }: Options): LogDocument {
  const [phase, setPhase] = useState<LogPhase>("loading");
  const [error, setError] = useState<string | null>(null);
  const [pages, setPages] = useState<LogPages | null>(null);
  const [pageIndex, setPageIndex] = useState(0);
  const [complete, setComplete] = useState(false);
  const [version, bump] = useReducer((v: number) => v + 1, 0);
  const state = useRef({
    buffer: new LogBuffer(),
    attempt: attempt ?? null,
    pages: null as LogPages | null,
    pageIndex: 0,
    complete: false,
    ready: false,
    tailing: false,
    tailAgain: false,
    loadingPage: false,
    controller: new AbortController(),
    frame: 0,
  });

  // Many chunks may arrive per frame: render at most once per frame.
  const render = useCallback(() => {
    const s = state.current;
    if (s.frame) return;
    s.frame = requestAnimationFrame(() => {
      s.frame = 0;
      bump();
    });
  }, []);

  const append = useCallback(
    (buffer: LogBuffer) => (text: string, end: number) => {
      buffer.append(text, end);
      render();
    },
    [render],
  );

  const markComplete = useCallback((value: boolean) => {
    state.current.complete = value;
    if (value) state.current.buffer.finish();
    setComplete(value);
  }, []);

  const loadPage = useCallback(
    async (index: number, known: LogPages) => {
      const s = state.current;
      const page = known.pages[index];
      if (!page) return;
      s.controller.abort();
      s.controller = new AbortController();
      const buffer = new LogBuffer(page.line, page.offset);
      s.buffer = buffer;
      s.pageIndex = index;
      setPageIndex(index);
      bump();
      const until = known.pages[index + 1]?.offset;
      // While a page streams in, following the log's end must not read into the same buffer.
      s.loadingPage = true;
      let result;
      try {
        result = await readLog(
          client,
          { runId, job, attempt: s.attempt ?? undefined, from: page.offset, until, signal: s.controller.signal },
          append(buffer),
        );
      } finally {
        if (buffer === s.buffer) s.loadingPage = false;
      }
      if (until === undefined) markComplete(result.complete);
      else buffer.finish();
      // Going to a page may have cut the first read short: the log is ready either way.
      s.ready = true;
      setPhase("ready");
      bump();
    },
    [client, runId, job, append, markComplete],
  );

  const loadPages = useCallback(async () => {
    const s = state.current;
    const known = await client.logPages(runId, job, s.attempt ?? undefined, s.controller.signal);
    s.pages = known;
    setPages(known);
    // A finished attempt's log does not grow: nothing to follow on any page.
    if (known.complete) {
      s.complete = true;
      setComplete(true);
    }
    return known;
  }, [client, runId, job]);

  // The first read: the log's beginning, streamed; past one page, the log is paged.
  useEffect(() => {
    const s = state.current;
    s.controller.abort();
    s.controller = new AbortController();
    const { signal } = s.controller;
    const buffer = new LogBuffer();
    Object.assign(s, { buffer, attempt: attempt ?? null, pages: null, pageIndex: 0, complete: false, ready: false });
    setPhase("loading");
    setPages(null);
    setPageIndex(0);
    setComplete(false);
    setError(null);
    bump();

    (async () => {
      const result = await readLog(client, { runId, job, attempt, from: 0, until: pageSize, signal }, append(buffer));
      s.attempt = result.attempt;
      if (result.atEnd) {
        markComplete(result.complete);
      } else {
        const known = await loadPages();
        const firstPageEnd = known.pages[1]?.offset;
        if (firstPageEnd !== undefined && buffer.endOffset < firstPageEnd) {
          await readLog(client, { runId, job, attempt: s.attempt, from: buffer.endOffset, until: firstPageEnd, signal }, append(buffer));
        }
        if (firstPageEnd === undefined) {
          // One page only: a single line longer than a page. Read it whole.
          const rest = await readLog(client, { runId, job, attempt: s.attempt, from: buffer.endOffset, signal }, append(buffer));
          markComplete(rest.complete);
        }
      }
      s.ready = true;
      setPhase("ready");
      bump();
    })().catch((reason: unknown) => {
      if (signal.aborted) return;
      if (reason instanceof ApiError && reason.status === 404 && reason.detail?.includes("not started")) {
        setPhase("not-started");
        return;
      }
      setError(reason instanceof Error ? reason.message : String(reason));
      setPhase("error");
    });
    return () => s.controller.abort();
  }, [client, runId, job, attempt, pageSize, append, loadPages, markComplete]);

  // Reads what was written since the last read, when the log is whole or on its last page.
  const tail = useCallback(async () => {
    const s = state.current;
    if (!s.ready || s.complete || s.loadingPage) return;
    if (s.pages && s.pageIndex !== s.pages.pages.length - 1) return;
    if (s.tailing) {
      s.tailAgain = true;
      return;
    }
    s.tailing = true;
    try {
      do {
        s.tailAgain = false;
        const buffer = s.buffer;
        const result = await readLog(
          client,
          { runId, job, attempt: s.attempt ?? undefined, from: buffer.endOffset, signal: s.controller.signal },
          append(buffer),
        );
        if (buffer !== s.buffer) return;
        if (result.complete) markComplete(true);
      } while (s.tailAgain && !s.complete);

      // A live log that outgrows a page becomes paged, showing its newest page.
      const limit = s.pages ? 2 * pageSize : 1.5 * pageSize;
      if (s.buffer.approximateBytes > limit) {
        const known = await loadPages();
        await loadPage(known.pages.length - 1, known);
      }
    } catch {
      // The next tick or poll tries again.
    } finally {
      s.tailing = false;
    }
  }, [client, runId, job, pageSize, append, markComplete, loadPages, loadPage]);

  // Live: every log line of this job in the event stream asks for a read (at most one per 100 ms).
  useEffect(() => {
    if (!logLines) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = logLines.subscribe((line) => {
      if (line.job !== job) return;
      if (state.current.attempt !== null && line.attempt !== state.current.attempt) return;
      timer ??= setTimeout(() => {
        timer = undefined;
        void tail();
      }, 100);
    });
    return () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
    };
  }, [logLines, job, tail]);

  // Until the log is complete, read on a timer too: a missed event or the job's end never leaves it stale.
  useEffect(() => {
    if (complete || phase !== "ready") return;
    void tail();
    const timer = setInterval(() => void tail(), live ? 2000 : 1000);
    return () => clearInterval(timer);
  }, [complete, phase, live, tail]);

  useEffect(() => () => cancelAnimationFrame(state.current.frame), []);

  const goToPage = useCallback(
    async (index: number) => {
      const s = state.current;
      if (!s.pages) return null;
      await loadPage(index, s.pages);
      return { first: s.buffer.firstLine, last: s.buffer.lastLine };
    },
    [loadPage],
  );

  const showLine = useCallback(
    async (line: number) => {
      const s = state.current;
      if (!s.pages) return line >= 1 && line <= s.buffer.lastLine;
      const index = pageOfLine(s.pages, line);
      if (index !== s.pageIndex) await loadPage(index, s.pages);
      return line >= s.buffer.firstLine && line <= s.buffer.lastLine;
    },
    [loadPage],
  );

  const s = state.current;
  return {
    phase,
    error,
    buffer: s.buffer,
    version,
    pages,
    pageIndex,
    attempt: s.attempt,
    complete,
    goToPage,
    showLine,
  };
}

/** The page holding a line: the last one starting at or before it. */
export function pageOfLine(pages: LogPages, line: number): number {
  let low = 0;
  let high = pages.pages.length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if ((pages.pages[middle]?.line ?? Infinity) <= line) low = middle;
    else high = middle - 1;
  }
  return low;
}
