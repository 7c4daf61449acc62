import { api } from "../../api/client";
import { useAsync } from "../../hooks/useAsync";

/** The run's forge statuses, read again whenever the run's status changes (each change stages new ones). */
export function useForgeStatuses(runId: number, runStatus: string | undefined) {
  return useAsync((signal) => api.forgeStatuses(runId, signal), [runId, runStatus]);
}
