import { useEffect, useMemo, useState } from "react";
import { api } from "../api/client";
import { subscribeRunEvents } from "../api/runEvents";
import { finishedStatuses, type LogLineEvent, type Run } from "../api/types";
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

/** A run kept up to date from its event stream while it is unfinished. */
export function useRunLive(runId: number): LiveRun {
  const state = useAsync(() => api.run(runId), [runId]);
  const [connected, setConnected] = useState(false);
  const logLines = useMemo(() => new Emitter<LogLineEvent>(), []);
  const { set } = state;
  const unfinished = state.data !== undefined && !finishedStatuses.has(state.data.status);

  useEffect(() => {
    if (!unfinished) return;
    const stop = subscribeRunEvents(api, runId, {
      onStatus: (run) => set(run),
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
