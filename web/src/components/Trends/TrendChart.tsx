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
}

const width = 160;
const height = 40;
const pad = 3;

/**
 * A small line chart of one measure over a job's recent attempts, drawn as SVG (no chart library): a line through the
 * measured points, a dot per point (the shown attempt's filled), the latest value and the largest beside it.
 */
export function TrendChart({ label, values, format }: TrendChartProps) {
  const measured = values.filter((v): v is TrendValue & { value: number } => v.value !== null);
  const max = Math.max(0, ...measured.map((v) => v.value));
  const step = values.length > 1 ? (width - 2 * pad) / (values.length - 1) : 0;
  const x = (index: number) => (values.length > 1 ? pad + index * step : width / 2);
  const y = (value: number) => (max > 0 ? height - pad - (value / max) * (height - 2 * pad) : height - pad);
  const points = values.flatMap((v, i) => (v.value === null ? [] : [{ ...v, value: v.value, x: x(i), y: y(v.value) }]));
  const latest = measured[measured.length - 1];
  const summary = latest
    ? `${label} over the last ${values.length} attempts: latest ${format(latest.value)}, highest ${format(max)}`
    : `${label}: not measured`;
  return (
    <figure className="trend" data-measure={label}>
      <figcaption>
        <span className="trend-label">{label}</span>
        <span className="trend-latest">{latest ? format(latest.value) : "—"}</span>
        {measured.length > 1 && <span className="trend-max">max {format(max)}</span>}
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
