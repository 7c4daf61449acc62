/** One point of a small chart: its value (null: not measured) and what its tooltip says. */
export interface TrendValue {
  key: string;
  value: number | null;
  title: string;
  /** The point of the attempt shown on the page. */
  current?: boolean;
}

interface TrendChartProps {
  label: string;
  values: TrendValue[];
  format: (value: number) => string;
  /** What the job may use of this measure (its memory limit, its timeout); null or absent: none known. */
  limit?: number | null;
}

/** From this share of its limit on, a measure is shown as near it. */
export const nearLimitShare = 0.8;

const width = 160;
const height = 40;
const pad = 3;

/**
 * A small line chart of one measure over a job's recent attempts, drawn as SVG (no chart library): a line through the
 * measured points, a dot per point (the shown attempt's filled), the latest value and the largest beside it, and the
 * limit with how much of it the largest used, marked once that is 80 % or more.
 */
export function TrendChart({ label, values, format, limit }: TrendChartProps) {
  const measured = values.filter((v): v is TrendValue & { value: number } => v.value !== null);
  const max = Math.max(0, ...measured.map((v) => v.value));
  const step = values.length > 1 ? (width - 2 * pad) / (values.length - 1) : 0;
  const x = (index: number) => (values.length > 1 ? pad + index * step : width / 2);
  const y = (value: number) => (max > 0 ? height - pad - (value / max) * (height - 2 * pad) : height - pad);
  const points = values.flatMap((v, i) => (v.value === null ? [] : [{ ...v, value: v.value, x: x(i), y: y(v.value) }]));
  const latest = measured[measured.length - 1];
  const share = latest && limit ? max / limit : null;
  const near = share !== null && share >= nearLimitShare;
  const ofLimit = limit ? `limit ${format(limit)}${share !== null ? ` (${Math.round(share * 100)} % at the highest)` : ""}` : "";
  const summary = latest
    ? `${label} over the last ${values.length} attempts: latest ${format(latest.value)}, highest ${format(max)}` +
      (ofLimit ? `, ${ofLimit}${near ? ", near the limit" : ""}` : "")
    : `${label}: not measured`;
  return (
    <figure className={near ? "trend near-limit" : "trend"} data-measure={label}>
      <figcaption>
        <span className="trend-label">{label}</span>
        <span className="trend-latest">{latest ? format(latest.value) : "—"}</span>
        {measured.length > 1 && <span className="trend-max">max {format(max)}</span>}
        {limit ? (
          <span className="trend-limit" title={ofLimit}>
            of {format(limit)}
            {share !== null && ` · ${Math.round(share * 100)} %`}
          </span>
        ) : null}
      </figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label={summary}>
        {points.length > 1 && (
          <polyline className="trend-line" fill="none" points={points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ")} />
        )}
        {points.map((p) => (
          <circle key={p.key} className={p.current ? "trend-dot current" : "trend-dot"} cx={p.x} cy={p.y} r={p.current ? 3 : 2}>
            <title>{`${p.title}: ${format(p.value)}`}</title>
          </circle>
        ))}
      </svg>
    </figure>
  );
}
