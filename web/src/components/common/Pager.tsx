interface PagerProps {
  page: number;
  pageSize: number;
  total: number;
  onPage: (page: number) => void;
}

export function Pager({ page, pageSize, total, onPage }: PagerProps) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" onClick={() => onPage(page - 1)} disabled={page <= 1}>
        ← Newer
      </button>
      <span>
        Page {page} of {pages} · {total.toLocaleString("en-US")} {total === 1 ? "run" : "runs"}
      </span>
      <button type="button" onClick={() => onPage(page + 1)} disabled={page >= pages}>
        Older →
      </button>
    </nav>
  );
}
