// A stored log line is "2026-11-26T21:59:45.123Z text": its UTC time, a space, the output line (docs/api.md).

const timestampLength = 24;

export interface StoredLine {
  time: string | null;
  text: string;
}

export function splitStoredLine(line: string): StoredLine {
  if (line.length > timestampLength && line.charCodeAt(timestampLength) === 32 && line.charCodeAt(timestampLength - 1) === 90) {
    return { time: line.slice(0, timestampLength), text: visibleText(line.slice(timestampLength + 1)) };
  }
  return { time: null, text: visibleText(line) };
}

/**
 * What a terminal would show: a carriage return (progress bars) overwrites the line, so only the text after the
 * last one stays; a trailing CR (CRLF output) is not an overwrite.
 */
function visibleText(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 13) end--;
  const trimmed = end === text.length ? text : text.slice(0, end);
  const lastReturn = trimmed.lastIndexOf("\r");
  return lastReturn < 0 ? trimmed : trimmed.slice(lastReturn + 1);
}
