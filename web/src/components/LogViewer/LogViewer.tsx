import { useCallback, useEffect, useRef, useState, type FormEvent, type MouseEvent } from "react";
import { api, type Client } from "../../api/client";
import type { LogLineEvent } from "../../api/types";
import type { Emitter } from "../../hooks/emitter";
import { useLogDocument } from "../../hooks/useLogDocument";
import { lineHash, parseLineHash } from "./lineHash";
import { LogPager } from "./LogPager";
import { useLogSearch } from "./useLogSearch";
import { VirtualLog, type LineRange, type ScrollRequest } from "./VirtualLog";

interface LogViewerProps {
  runId: number;
  job: string;
  attempt?: number;
  /** The attempt is running: the viewer follows the end by default. */
  live: boolean;
  logLines?: Emitter<LogLineEvent>;
  client?: Client;
  pageBytes?: number;
}

/**
 * A job's log: streamed in, virtualised, live while the job runs. Line numbers link to #L123; shift-click selects
 * a range. Logs past one page are paged and searched on the server.
 */
export function LogViewer({ runId, job, attempt, live, logLines, client = api, pageBytes }: LogViewerProps) {
  const document = useLogDocument({ runId, job, attempt, live, logLines, client, pageBytes });
  const search = useLogSearch(document, runId, job, client);
  const initialHash = useRef(parseLineHash(window.location.hash));
  const [selected, setSelected] = useState<LineRange | null>(initialHash.current);
  const [follow, setFollow] = useState(live && !initialHash.current);
  const [showTime, setShowTime] = useState(false);
  const [scrollRequest, setScrollRequest] = useState<ScrollRequest | null>(null);
  const [downloadError, setDownloadError] = useState<string | null>(null);
  const seq = useRef(0);
  const { showLine, phase } = document;

  const scrollTo = useCallback(
    async (line: number) => {
      setFollow(false);
      if (await showLine(line)) setScrollRequest({ line, seq: ++seq.current });
    },
    [showLine],
  );

  // A #L link opens at its line, once the log has it.
  useEffect(() => {
    if (phase !== "ready" || !initialHash.current) return;
    void scrollTo(initialHash.current.from);
    initialHash.current = null;
  }, [phase, scrollTo]);

  useEffect(() => {
    const onHash = () => {
      const range = parseLineHash(window.location.hash);
      if (!range) return;
      setSelected(range);
      void scrollTo(range.from);
    };
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, [scrollTo]);

  const onNumberClick = useCallback((line: number, event: MouseEvent<HTMLAnchorElement>) => {
    event.preventDefault();
    setSelected((current) => {
      const range = event.shiftKey && current ? { from: Math.min(current.from, line), to: Math.max(current.from, line) } : { from: line, to: line };
      window.history.replaceState(window.history.state, "", lineHash(range));
      return range;
    });
    setFollow(false);
  }, []);

  // A mark for the performance figures (the first line's time is observed by the test itself).
  useEffect(() => {
    if (phase === "ready") performance.mark?.("pipeliner:log-ready");
  }, [phase]);

  const submitSearch = async (event: FormEvent) => {
    event.preventDefault();
    await search.run();
  };

  // The first match is shown as soon as the results arrive.
  const firstMatch = search.matches[0];
  useEffect(() => {
    if (firstMatch !== undefined) void scrollTo(firstMatch);
  }, [firstMatch, search.searched, scrollTo]);

  const openPage = async (index: number, at: "start" | "end") => {
    setFollow(false);
    const range = await document.goToPage(index);
    if (range) setScrollRequest({ line: at === "start" ? range.first : range.last, seq: ++seq.current });
  };

  const step = (direction: 1 | -1) => {
    const line = search.move(direction);
    if (line !== null) void scrollTo(line);
  };

  const download = async () => {
    setDownloadError(null);
    try {
      const { url } = await client.logDownload(runId, job, document.attempt ?? attempt);
      window.location.assign(url);
    } catch (reason) {
      setDownloadError(reason instanceof Error ? reason.message : String(reason));
    }
  };

  const { buffer, pages } = document;
  const currentMatch = search.current >= 0 ? (search.matches[search.current] ?? null) : null;
  const lineCount = buffer.lineCount;

  return (
    <section className="log-viewer" aria-label={`Log of ${job}`}>
      <div className="log-toolbar">
        <form className="log-search" role="search" onSubmit={submitSearch}>
          <input
            type="search"
            placeholder={pages ? "Search the whole log" : "Search the log"}
            aria-label="Search the log"
            value={search.query}
            onChange={(event) => search.setQuery(event.target.value)}
          />
          <button type="submit" disabled={search.busy}>
            Search
          </button>
          {search.searched && (
            <span className="log-search-status" aria-live="polite">
              {search.busy
                ? "Searching…"
                : search.matches.length
                  ? `${search.current + 1} of ${search.matches.length}${search.truncated ? "+" : ""}`
                  : "No match"}
            </span>
          )}
          <button type="button" onClick={() => step(-1)} disabled={!search.matches.length} aria-label="Previous match">
            ↑
          </button>
          <button type="button" onClick={() => step(1)} disabled={!search.matches.length} aria-label="Next match">
            ↓
          </button>
        </form>
        <div className="log-options">
          <label>
            <input type="checkbox" checked={follow} onChange={(event) => setFollow(event.target.checked)} /> Follow
          </label>
          <label>
            <input type="checkbox" checked={showTime} onChange={(event) => setShowTime(event.target.checked)} /> Times
          </label>
          <button type="button" onClick={() => void download()} disabled={phase === "not-started"}>
            Download raw
          </button>
        </div>
      </div>
      {search.error && <p className="error">Search failed: {search.error}</p>}
      {downloadError && <p className="error">Download failed: {downloadError}</p>}
      {pages && (
        <LogPager
          pages={pages}
          pageIndex={document.pageIndex}
          firstLine={buffer.firstLine}
          lastLine={buffer.lastLine}
          onPage={(index, at) => void openPage(index, at)}
        />
      )}
      <p className="log-status" aria-live="polite">
        {phase === "loading" && "Loading the log…"}
        {phase === "not-started" && "This job has not started yet."}
        {phase === "error" && <span className="error">The log could not be read: {document.error}</span>}
        {phase === "ready" && (
          <>
            {lineCount.toLocaleString("en-US")} {lineCount === 1 ? "line" : "lines"}
            {pages ? " on this page" : ""}
            {!document.complete && <span className="live-badge"> · live</span>}
          </>
        )}
      </p>
      {phase !== "not-started" && phase !== "error" && (
        <VirtualLog
          buffer={buffer}
          version={document.version}
          follow={follow}
          onFollowChange={setFollow}
          selected={selected}
          currentMatch={currentMatch}
          mark={search.searched || undefined}
          showTime={showTime}
          scrollRequest={scrollRequest}
          onNumberClick={onNumberClick}
        />
      )}
    </section>
  );
}
