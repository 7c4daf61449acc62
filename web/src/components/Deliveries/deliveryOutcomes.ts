import type { DeliveryOutcome } from "../../api/types";

/** How each outcome reads, and whether it is a failure people should look at. */
export const outcomeLabels: Record<DeliveryOutcome, string> = {
  received: "Processing",
  retrying: "Retrying",
  run: "Run",
  not_triggered: "Not triggered",
  ignored: "Ignored",
  invalid_signature: "Invalid signature",
  failed: "Failed",
};

export const failedOutcomes = new Set<DeliveryOutcome>(["failed", "invalid_signature"]);

export const pendingOutcomes = new Set<DeliveryOutcome>(["received", "retrying"]);
