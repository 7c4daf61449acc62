/**
 * The lines of one window of a log, as they arrive: text chunks are split into lines; a chunk that ends inside a
 * line keeps that part until the rest arrives. Line numbers are 1-based and start at firstLine.
 */
export class LogBuffer {
  readonly lines: string[] = [];
  private partial = "";

  constructor(
    readonly firstLine = 1,
    /** Byte offset of the window's first line in the stored log. */
    readonly startOffset = 0,
    /** Byte offset up to which text was appended (a partial line included). */
    public endOffset = startOffset,
  ) {}

  get lineCount(): number {
    return this.lines.length;
  }

  get lastLine(): number {
    return this.firstLine + this.lines.length - 1;
  }

  /** Appends text that covers the bytes up to newEndOffset. */
  append(text: string, newEndOffset: number): void {
    this.endOffset = newEndOffset;
    if (text === "") return;
    let start = 0;
    let newline = text.indexOf("\n");
    if (newline < 0) {
      this.partial += text;
      return;
    }
    this.lines.push(this.partial + text.slice(0, newline));
    this.partial = "";
    start = newline + 1;
    for (newline = text.indexOf("\n", start); newline >= 0; newline = text.indexOf("\n", start)) {
      this.lines.push(text.slice(start, newline));
      start = newline + 1;
    }
    this.partial = text.slice(start);
  }

  /** The unfinished last line becomes a line (the log is complete and did not end with a newline). */
  finish(): void {
    if (this.partial !== "") {
      this.lines.push(this.partial);
      this.partial = "";
    }
  }

  /** Bytes held, roughly (one byte per character): to decide when a live log should page. */
  get approximateBytes(): number {
    return this.endOffset - this.startOffset;
  }
}
