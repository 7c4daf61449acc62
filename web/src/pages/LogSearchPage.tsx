import { useState, type FormEvent, type ReactNode } from "react";
import { groupByRun, minQueryLength, searchLogs, type LogSearchFilters, type RunLogMatch } from "../api/logSearch";
import { ErrorNotice, Loading } from "../components/common/Notice";
import { AppShell } from "../components/Layout/AppShell";
import { useAsync } from "../hooks/useAsync";
import { Link, navigate, useLocation } from "../routing/router";
import { paths } from "../routing/paths";
import "../components/LogSearch/logSearch.css";

const statuses = ["", "succeeded", "failed", "canceled", "running", "waiting", "queued", "invalid"];
const filterNames = ["q", "project", "branch", "status", "since", "until"] as const;

/** Search across every run's logs: filters in the address (shareable), results grouped by run and job, each line linking to the log viewer. */
export function LogSearchPage() {
  const { search } = useLocation();
  const filters: LogSearchFilters = { q: search.get("q") ?? "" };
  for (const name of filterNames.slice(1)) {
    const value = search.get(name);
    if (value) filters[name] = value;
  }
  const key = search.toString();
  const ready = filters.q.length >= minQueryLength;
  const results = useAsync((signal) => (ready ? searchLogs(toServer(filters), signal) : Promise.resolve(null)), [key]);

  return (
    <AppShell crumbs={[{ label: "Projects", to: paths.projects() }, { label: "Search logs" }]}>
      <h1>Search logs</h1>
      <Filters key={key} filters={filters} />
      {!ready && (
        <p className="muted">
          Type at least {minQueryLength} characters: the text is found as written, in any letter case, in the logs of every run you may read.
        </p>
      )}
      {ready && results.error && <ErrorNotice error={results.error} />}
      {ready && results.loading && !results.data && <Loading what="Searching" />}
      {ready && results.data && (
        <>
          <p className="muted" role="status">
            {results.data.matches.length === 0
              ? "No line holds this text."
              : `${results.data.matches.length} matching line${results.data.matches.length === 1 ? "" : "s"}${results.data.truncated ? " (the newest; there are more — narrow the search down)" : ""}, newest run first`}
            {` · ${results.data.tookMs} ms`}
          </p>
          {groupByRun(results.data.matches).map((run) => (
            <section key={run.runId} className="log-search-run" aria-label={`Run ${run.project} #${run.number}`}>
              <h2>
                <Link to={paths.run({ project: run.project, number: run.number })}>
                  {run.project} #{run.number}
                </Link>
                {run.branch && <span className="muted"> on {run.branch}</span>}
              </h2>
              {run.jobs.map((job) => (
                <div key={`${job.job}/${job.attempt}`} className="log-search-job">
                  <h3>
                    {job.job} <span className="muted">attempt {job.attempt}</span>
                  </h3>
                  <ul className="log-search-lines">
                    {job.matches.map((match) => (
                      <li key={match.line}>
                        <Link to={lineLink(match)} aria-label={`Line ${match.line} of ${match.job}`}>
                          L{match.line}
                        </Link>
                        <span className="log-search-text">{highlight(match.text, filters.q)}</span>
                      </li>
                    ))}
                  </ul>
                </div>
              ))}
            </section>
          ))}
        </>
      )}
    </AppShell>
  );
}

function Filters({ filters }: { filters: LogSearchFilters }) {
  const [values, setValues] = useState<Record<string, string>>({
    q: filters.q,
    project: filters.project ?? "",
    branch: filters.branch ?? "",
    status: filters.status ?? "",
    since: filters.since ?? "",
    until: filters.until ?? "",
  });
  const set = (name: string) => (event: { target: { value: string } }) => setValues({ ...values, [name]: event.target.value });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const name of filterNames) if (values[name]) next.set(name, values[name] ?? "");
    navigate(paths.logSearch(`?${next}`));
  };
  return (
    <form className="log-search-filters" onSubmit={submit} aria-label="Search filters">
      <label>
        Text
        <input type="search" value={values.q} onChange={set("q")} />
      </label>
      <label>
        Project
        <input value={values.project} onChange={set("project")} />
      </label>
      <label>
        Branch
        <input value={values.branch} onChange={set("branch")} />
      </label>
      <label>
        Status
        <select value={values.status} onChange={set("status")}>
          {statuses.map((status) => (
            <option key={status} value={status}>
              {status || "any"}
            </option>
          ))}
        </select>
      </label>
      <label>
        From
        <input type="date" value={values.since} onChange={set("since")} />
      </label>
      <label>
        To
        <input type="date" value={values.until} onChange={set("until")} />
      </label>
      <button type="submit">Search</button>
    </form>
  );
}

/** Dates from the date inputs mean whole days (UTC): "to" includes its day. */
function toServer(filters: LogSearchFilters): LogSearchFilters {
  const day = /^\d{4}-\d{2}-\d{2}$/;
  return {
    ...filters,
    since: filters.since && day.test(filters.since) ? `${filters.since}T00:00:00Z` : filters.since,
    until: filters.until && day.test(filters.until) ? `${filters.until}T23:59:59.999Z` : filters.until,
  };
}

function lineLink(match: RunLogMatch): string {
  return `${paths.job({ project: match.project, number: match.number }, match.job, match.attempt)}#L${match.line}`;
}

/** The text with each occurrence of the query (any case) marked. */
function highlight(text: string, q: string) {
  const parts: ReactNode[] = [];
  const lower = text.toLowerCase();
  const needle = q.toLowerCase();
  let at = 0;
  for (let found = lower.indexOf(needle); needle && found >= 0; found = lower.indexOf(needle, at)) {
    parts.push(text.slice(at, found), <mark key={found}>{text.slice(found, found + needle.length)}</mark>);
    at = found + needle.length;
  }
  parts.push(text.slice(at));
  return parts;
}
