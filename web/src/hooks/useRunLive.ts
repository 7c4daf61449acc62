import { useEffect, useMemo, useRef, useState } from "react";
import { api } from "../api/client";
import { subscribeRunEvents } from "../api/runEvents";
import { finishedStatuses, type LogLineEvent, type Run } from "../api/types";
import type { RunRef } from "../routing/paths";
import { Emitter } from "./emitter";
import { useAsync } from "./useAsync";

export interface LiveRun {
  run: Run | undefined;
  error: Error | undefined;
  loading: boolean;
  /** The event stream is connected (only while the run is unfinished). */
  connected: boolean;
  logLines: Emitter<LogLineEvent>;
  reload: () => void;
}

/** Where a run is found: by the server's id (older links) or by its project and number. */
export type RunAddress = { id: number } | RunRef;

/** A run kept up to date from its event stream while it is unfinished. */
export function useRunLive(address: RunAddress): LiveRun {
  const key = "id" in address ? `id:${address.id}` : `${address.project}#${address.number}`;
  const state = useAsync(() => ("id" in address ? api.run(address.id) : api.runAt(address.project, address.number)), [key]);
  const runId = state.data?.id;
  const [connected, setConnected] = useState(false);
  const logLines = useMemo(() => new Emitter<LogLineEvent>(), []);
  const { set } = state;
  const unfinished = state.data !== undefined && !finishedStatuses.has(state.data.status);
  // Pinning is no step of the run's progress: status events may carry the pin of when the run last changed, so the pin
  // stays as the last full read (or the pin action's reload) gave it.
  const pin = useRef<Pick<Run, "pinned" | "pinnedBy" | "pinnedAt">>({});
  if (state.data) pin.current = { pinned: state.data.pinned, pinnedBy: state.data.pinnedBy, pinnedAt: state.data.pinnedAt };

  useEffect(() => {
    if (!unfinished || runId === undefined) return;
    const stop = subscribeRunEvents(api, runId, {
      onStatus: (run) => set({ ...run, ...pin.current }),
      onLog: (line) => logLines.emit(line),
      onConnection: setConnected,
    });
    return () => {
      stop();
      setConnected(false);
    };
  }, [runId, unfinished, set, logLines]);

  return { run: state.data, error: state.error, loading: state.loading, connected, logLines, reload: state.reload };
}
