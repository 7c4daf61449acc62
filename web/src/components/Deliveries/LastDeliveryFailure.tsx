import type { Delivery } from "../../api/types";
import { Link } from "../../routing/router";
import { paths } from "../../routing/paths";
import { formatRelative, formatTime } from "../common/format";
import { outcomeLabels } from "./deliveryOutcomes";

/** On a project's card: its newest webhook delivery failed or was refused, why, and where to see them all. */
export function LastDeliveryFailure({ project, delivery }: { project: string; delivery: Delivery }) {
  return (
    <div className="notice error last-delivery-failure" role="status">
      <strong>Last webhook: {outcomeLabels[delivery.outcome].toLowerCase()}</strong>{" "}
      <span className="muted small" title={formatTime(delivery.receivedAt)}>
        {formatRelative(delivery.receivedAt)}
      </span>
      {delivery.message && <p className="small">{delivery.message}</p>}
      <Link to={paths.deliveries(project)}>See the deliveries</Link>
    </div>
  );
}
