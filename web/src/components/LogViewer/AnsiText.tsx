import type { CSSProperties, ReactNode } from "react";
import { parseAnsi, type AnsiStyle } from "./ansi";

/** Text with its ANSI colours and styles; occurrences of `mark` (any case) are highlighted. */
export function AnsiText({ text, mark }: { text: string; mark?: string }) {
  return (
    <>
      {parseAnsi(text).map((segment, i) => {
        const { className, style } = toCss(segment.style);
        const content = mark ? highlight(segment.text, mark) : segment.text;
        return className || style ? (
          <span key={i} className={className} style={style}>
            {content}
          </span>
        ) : (
          <span key={i}>{content}</span>
        );
      })}
    </>
  );
}

function toCss(ansi: AnsiStyle): { className?: string; style?: CSSProperties } {
  const classes: string[] = [];
  const style: CSSProperties = {};
  let fg = ansi.fg;
  let bg = ansi.bg;
  if (ansi.inverse) [fg, bg] = [bg ?? "var(--log-bg)", fg ?? "var(--log-fg)"];
  if (typeof fg === "number") classes.push(`ansi-fg-${fg}`);
  else if (fg) style.color = fg;
  if (typeof bg === "number") classes.push(`ansi-bg-${bg}`);
  else if (bg) style.backgroundColor = bg;
  if (ansi.bold) classes.push("ansi-bold");
  if (ansi.dim) classes.push("ansi-dim");
  if (ansi.italic) classes.push("ansi-italic");
  if (ansi.underline) classes.push("ansi-underline");
  if (ansi.strike) classes.push("ansi-strike");
  return {
    className: classes.length ? classes.join(" ") : undefined,
    style: Object.keys(style).length ? style : undefined,
  };
}

function highlight(text: string, mark: string): ReactNode {
  const lower = text.toLowerCase();
  const needle = mark.toLowerCase();
  let at = lower.indexOf(needle);
  if (at < 0) return text;
  const parts: ReactNode[] = [];
  let from = 0;
  while (at >= 0) {
    if (at > from) parts.push(text.slice(from, at));
    parts.push(<mark key={at}>{text.slice(at, at + needle.length)}</mark>);
    from = at + needle.length;
    at = lower.indexOf(needle, from);
  }
  if (from < text.length) parts.push(text.slice(from));
  return parts;
}
