import type { Delivery } from "../api/types";

/** A delivery as the server lists it, received `id` minutes before `now`; fields overridden by `extra`. */
export function delivery(now: number, id: number, extra: Partial<Delivery> = {}): Delivery {
  return {
    id,
    deliveryId: `d-${id}`,
    receivedAt: new Date(now - id * 60_000).toISOString(),
    forge: "github",
    event: "push",
    ref: "refs/heads/main",
    commit: "0123456789abcdef0123456789abcdef01234567",
    outcome: "run",
    message: null,
    runId: null,
    runNumber: null,
    nextAttemptAt: null,
    redeliveryOf: null,
    redeliverable: true,
    ...extra,
  };
}

