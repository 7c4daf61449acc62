import { useCallback, useRef, useState } from "react";
import { api, type Client } from "../../api/client";
import type { LogDocument } from "../../hooks/useLogDocument";
import { searchLines } from "./searchLines";

export interface LogSearch {
  query: string;
  /** The query the matches are for. */
  searched: string;
  matches: number[];
  truncated: boolean;
  current: number;
  busy: boolean;
  error: string | null;
  setQuery: (query: string) => void;
  run: () => Promise<void>;
  move: (step: 1 | -1) => number | null;
  clear: () => void;
}

/** Searches the held lines, or, for a paged log, the whole log on the server. */
export function useLogSearch(document: LogDocument, runId: number, job: string, client: Client = api): LogSearch {
  const [query, setQuery] = useState("");
  const [searched, setSearched] = useState("");
  const [matches, setMatches] = useState<number[]>([]);
  const [truncated, setTruncated] = useState(false);
  const [current, setCurrent] = useState(-1);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const controller = useRef<AbortController | null>(null);

  const run = useCallback(async () => {
    controller.current?.abort();
    const text = query.trim();
    setSearched(text);
    setError(null);
    if (!text) {
      setMatches([]);
      setCurrent(-1);
      return;
    }
    if (!document.pages) {
      const found = searchLines(document.buffer, text);
      setMatches(found.lines);
      setTruncated(found.truncated);
      setCurrent(found.lines.length ? 0 : -1);
      return;
    }
    const ongoing = new AbortController();
    controller.current = ongoing;
    setBusy(true);
    try {
      const result = await client.searchLog(runId, job, document.attempt ?? undefined, text, ongoing.signal);
      const lines = result.matches.map((m) => m.line);
      setMatches(lines);
      setTruncated(result.truncated);
      setCurrent(lines.length ? 0 : -1);
    } catch (reason) {
      if (!ongoing.signal.aborted) setError(reason instanceof Error ? reason.message : String(reason));
    } finally {
      if (!ongoing.signal.aborted) setBusy(false);
    }
  }, [query, document.pages, document.buffer, document.attempt, client, runId, job]);

  const move = useCallback(
    (step: 1 | -1) => {
      if (!matches.length) return null;
      const next = (current + step + matches.length) % matches.length;
      setCurrent(next);
      return matches[next] ?? null;
    },
    [matches, current],
  );

  const clear = useCallback(() => {
    controller.current?.abort();
    setQuery("");
    setSearched("");
    setMatches([]);
    setCurrent(-1);
    setError(null);
  }, []);

  return { query, searched, matches, truncated, current, busy, error, setQuery, run, move, clear };
}
