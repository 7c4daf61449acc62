import { memo, type MouseEvent } from "react";
import { AnsiText } from "./AnsiText";
import { splitStoredLine } from "./storedLine";

/** Longer lines are cut when shown (a minified bundle on one line must not stall the page); the raw log has all. */
export const maxShownChars = 10_000;

interface LogRowProps {
  number: number;
  raw: string;
  showTime: boolean;
  selected: boolean;
  current: boolean;
  mark?: string;
  onNumberClick: (line: number, event: MouseEvent<HTMLAnchorElement>) => void;
}

export const LogRow = memo(function LogRow({ number, raw, showTime, selected, current, mark, onNumberClick }: LogRowProps) {
  const { time, text } = splitStoredLine(raw);
  const cut = text.length > maxShownChars;
  const classes = ["log-line"];
  if (selected) classes.push("log-line-selected");
  if (current) classes.push("log-line-current");
  return (
    <div className={classes.join(" ")} data-line={number}>
      <a className="log-number" href={`#L${number}`} onClick={(event) => onNumberClick(number, event)} aria-label={`Line ${number}`}>
        {number}
      </a>
      {showTime && time && (
        <time className="log-time" dateTime={time}>
          {time.slice(11, 23)}
        </time>
      )}
      <span className="log-text">
        <AnsiText text={cut ? text.slice(0, maxShownChars) : text} mark={mark} />
        {cut && <span className="log-cut"> … {text.length - maxShownChars} more characters (download the raw log)</span>}
      </span>
    </div>
  );
});
