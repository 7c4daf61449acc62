import type { Delivery } from "../../api/types";
import { Link } from "../../routing/router";
import { paths } from "../../routing/paths";
import { formatRelative, formatTime, shortSha } from "../common/format";
import { failedOutcomes, outcomeLabels } from "./deliveryOutcomes";

interface DeliveriesTableProps {
  project: string;
  deliveries: Delivery[];
  now: number;
  /** Given to admins: sends the delivery's event again. */
  onRedeliver?: (delivery: Delivery) => void;
  /** The delivery being sent again. */
  busy: number | null;
}

/** A project's webhook deliveries, newest first: when, what the forge sent, and what became of it and why. */
export function DeliveriesTable({ project, deliveries, now, onRedeliver, busy }: DeliveriesTableProps) {
  if (deliveries.length === 0) {
    return (
      <p className="notice">
        No webhook delivery yet. Point the forge's webhook at this project's webhook URL; every delivery, accepted or
        refused, shows here.
      </p>
    );
  }
  return (
    <table className="runs-table deliveries-table">
      <thead>
        <tr>
          <th scope="col">Outcome</th>
          <th scope="col">Received</th>
          <th scope="col">Event</th>
          <th scope="col">Ref / commit</th>
          <th scope="col">Details</th>
          {onRedeliver && <th scope="col">Action</th>}
        </tr>
      </thead>
      <tbody>
        {deliveries.map((delivery) => (
          <tr key={delivery.id} data-delivery={delivery.id}>
            <td data-label="Outcome">
              <span className={`delivery-outcome outcome-${delivery.outcome}${failedOutcomes.has(delivery.outcome) ? " outcome-failure" : ""}`}>
                {outcomeLabels[delivery.outcome]}
              </span>
              {delivery.runNumber !== null && (
                <Link to={paths.run({ project, number: delivery.runNumber })} className="delivery-run">
                  Run #{delivery.runNumber}
                </Link>
              )}
            </td>
            <td data-label="Received">
              <span title={formatTime(delivery.receivedAt)}>{formatRelative(delivery.receivedAt, now)}</span>
              {delivery.redeliveryOf !== null && <span className="muted small">sent again (#{delivery.redeliveryOf})</span>}
            </td>
            <td data-label="Event">
              <span>
                {delivery.forge} · {delivery.event}
              </span>
              <code className="muted small delivery-id" title="The forge's delivery id">
                {delivery.deliveryId ?? "no delivery id"}
              </code>
            </td>
            <td data-label="Ref / commit">
              <span>{delivery.ref ?? "—"}</span>
              {delivery.commit && <code className="muted small">{shortSha(delivery.commit)}</code>}
            </td>
            <td data-label="Details" className="delivery-message">
              {delivery.message && <span>{delivery.message}</span>}
              {delivery.nextAttemptAt && (
                <span className="muted small">Next attempt {formatTime(delivery.nextAttemptAt)}</span>
              )}
              {!delivery.message && !delivery.nextAttemptAt && <span className="muted">—</span>}
            </td>
            {onRedeliver && (
              <td data-label="Action">
                {delivery.redeliverable && (
                  <button type="button" onClick={() => onRedeliver(delivery)} disabled={busy === delivery.id}
                    aria-label={`Redeliver delivery ${delivery.id}`}>
                    {busy === delivery.id ? "Sending…" : "Redeliver"}
                  </button>
                )}
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
