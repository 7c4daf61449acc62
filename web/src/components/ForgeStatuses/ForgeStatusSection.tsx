import { ForgeStatusPanel } from "./ForgeStatusPanel";
import { useForgeStatuses } from "./useForgeStatuses";

/** The forge statuses panel of a run page; absent while loading, on error and for projects that send none. */
export function ForgeStatusSection({ runId, runStatus }: { runId: number; runStatus: string }) {
  const statuses = useForgeStatuses(runId, runStatus);
  return statuses.data ? <ForgeStatusPanel statuses={statuses.data} /> : null;
}
