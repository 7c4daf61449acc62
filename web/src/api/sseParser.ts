/** One dispatched server-sent event. */
export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

/**
 * An incremental parser of the text/event-stream format (the WHATWG "interpret an event stream" rules):
 * feed it text as it arrives, it calls back once per complete event. It remembers the last event id, for
 * resuming with Last-Event-ID, and the reconnection delay the server asked for.
 */
export class SseParser {
  lastEventId: string | null = null;
  retryMs: number | null = null;
  private buffer = "";
  private event = "";
  private data: string[] = [];
  private hasData = false;

  constructor(private readonly onMessage: (message: SseMessage) => void) {}

  feed(text: string): void {
    this.buffer += text;
    let start = 0;
    for (;;) {
      const end = nextLineEnd(this.buffer, start);
      if (end < 0) break;
      const line = this.buffer.slice(start, end);
      // A CR LF pair is one line end; a lone CR at the end of the chunk may still be followed by LF.
      if (this.buffer[end] === "\r") {
        if (end + 1 >= this.buffer.length) break;
        start = this.buffer[end + 1] === "\n" ? end + 2 : end + 1;
      } else {
        start = end + 1;
      }
      this.line(line);
    }
    this.buffer = this.buffer.slice(start);
  }

  private line(line: string): void {
    if (line === "") {
      this.dispatch();
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.event = value;
        break;
      case "data":
        this.data.push(value);
        this.hasData = true;
        break;
      case "id":
        if (!value.includes("\0")) this.lastEventId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
    }
  }

  private dispatch(): void {
    if (this.hasData) {
      this.onMessage({ id: this.lastEventId, event: this.event || "message", data: this.data.join("\n") });
    }
    this.event = "";
    this.data = [];
    this.hasData = false;
  }
}

function nextLineEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) return i;
  }
  return -1;
}
