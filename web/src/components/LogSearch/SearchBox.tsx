import { useState, type FormEvent } from "react";
import { navigate, useLocation } from "../../routing/router";
import { paths } from "../../routing/paths";
import "./logSearch.css";

/** The header's search box: searches every run's logs (the results page keeps the other filters). */
export function SearchBox() {
  const { path, search } = useLocation();
  const current = path === paths.logSearch() ? (search.get("q") ?? "") : "";
  const [text, setText] = useState(current);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const next = new URLSearchParams(path === paths.logSearch() ? search : undefined);
    next.set("q", text.trim() ? text : "");
    navigate(paths.logSearch(`?${next}`));
  };
  return (
    <form className="log-search-box" role="search" onSubmit={submit}>
      <input
        type="search"
        aria-label="Search all logs"
        placeholder="Search logs…"
        value={text}
        onChange={(event) => setText(event.target.value)}
      />
    </form>
  );
}
