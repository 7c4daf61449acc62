interface PagerProps {
  page: number;
  pageSize: number;
  total: number;
  onPage: (page: number) => void;
  /** What is counted, one and many. */
  noun?: [string, string];
}

export function Pager({ page, pageSize, total, onPage, noun = ["run", "runs"] }: PagerProps) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" onClick={() => onPage(page - 1)} disabled={page <= 1}>
        ← Newer
      </button>
      <span>
        Page {page} of {pages} · {total.toLocaleString("en-US")} {total === 1 ? noun[0] : noun[1]}
      </span>
      <button type="button" onClick={() => onPage(page + 1)} disabled={page >= pages}>
        Older →
      </button>
    </nav>
  );
}
