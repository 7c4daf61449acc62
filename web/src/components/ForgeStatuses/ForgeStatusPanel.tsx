import type { ForgeStatusAttempt, ForgeStatuses } from "../../api/types";
import { formatTime } from "../common/format";

const outcomeWords: Record<ForgeStatusAttempt["outcome"], string> = {
  delivered: "delivered",
  failed: "failed, will retry",
  refused: "refused",
  skipped: "skipped",
};

function answer(attempt: ForgeStatusAttempt): string {
  const status = attempt.httpStatus !== null ? `HTTP ${attempt.httpStatus}` : "";
  return [status, attempt.message ?? ""].filter(Boolean).join(": ");
}

/** The run's commit statuses on its forge: each context's state and what the forge has, then every delivery try. */
export function ForgeStatusPanel({ statuses }: { statuses: ForgeStatuses }) {
  if (!statuses.reports) return null;
  const waiting = statuses.contexts.filter((c) => c.deliveredState !== c.state).length;
  const summary =
    statuses.contexts.length === 0
      ? "nothing reported yet"
      : waiting === 0
        ? `${statuses.contexts.length} ${statuses.contexts.length === 1 ? "context" : "contexts"}, the forge is up to date`
        : `${waiting} of ${statuses.contexts.length} contexts not delivered yet`;
  return (
    <section className="forge-statuses" aria-label="Forge statuses">
      <details>
        <summary>
          <h2>Forge statuses</h2> <span className="forge-statuses-summary">{summary}</span>
        </summary>
        <table className="forge-status-contexts">
          <thead>
            <tr>
              <th scope="col">Context</th>
              <th scope="col">State</th>
              <th scope="col">On the forge</th>
            </tr>
          </thead>
          <tbody>
            {statuses.contexts.map((context) => (
              <tr key={context.context} data-settled={context.deliveredState === context.state}>
                <td className="mono">{context.context}</td>
                <td>{context.state}</td>
                <td>{context.deliveredState ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {statuses.attempts.length > 0 && (
          <table className="forge-status-attempts">
            <caption>Deliveries</caption>
            <thead>
              <tr>
                <th scope="col">At</th>
                <th scope="col">Context</th>
                <th scope="col">State</th>
                <th scope="col">Outcome</th>
                <th scope="col">Answer</th>
              </tr>
            </thead>
            <tbody>
              {statuses.attempts.map((attempt, i) => (
                <tr key={i} data-outcome={attempt.outcome}>
                  <td>
                    <time dateTime={attempt.at}>{formatTime(attempt.at)}</time>
                  </td>
                  <td className="mono">{attempt.context}</td>
                  <td title={attempt.description}>{attempt.state}</td>
                  <td>{outcomeWords[attempt.outcome]}</td>
                  <td>{answer(attempt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </details>
    </section>
  );
}
