import { createClient, type Client } from "../api/client";
import { maxResponseBytes } from "../api/logReader";

/** A stored log line as the server writes it. */
export function storedLine(text: string, second = 0): string {
  return `2026-11-26T21:59:${String(second % 60).padStart(2, "0")}.123Z ${text}`;
}

export function logOf(lines: string[]): string {
  return lines.map((line, i) => storedLine(line, i)).join("\n") + "\n";
}

interface FakeLog {
  bytes: Uint8Array;
  complete: boolean;
  attempt: number;
}

/**
 * The log endpoints of the server, in memory: offset paging with X-Next-Offset (at most 8 MiB per answer, streamed
 * in 64 KiB chunks), pages and search, so components are tested against the same contract as the real server.
 */
export class FakeServer {
  readonly requests: string[] = [];
  private readonly logs = new Map<string, FakeLog>();
  private readonly encoder = new TextEncoder();

  constructor(private readonly pageBytes = 16 * 1024 * 1024) {}

  setLog(runId: number, job: string, text: string, options: { complete?: boolean; attempt?: number } = {}): void {
    this.logs.set(`${runId}/${job}`, { bytes: this.encoder.encode(text), complete: options.complete ?? true, attempt: options.attempt ?? 1 });
  }

  appendLog(runId: number, job: string, text: string, complete = false): void {
    const log = this.logs.get(`${runId}/${job}`);
    if (!log) throw new Error("no such log");
    const added = this.encoder.encode(text);
    const bytes = new Uint8Array(log.bytes.length + added.length);
    bytes.set(log.bytes);
    bytes.set(added, log.bytes.length);
    this.logs.set(`${runId}/${job}`, { ...log, bytes, complete });
  }

  client(): Client {
    return createClient({ fetch: (input) => Promise.resolve(this.handle(input)), token: () => "plr_test" });
  }

  private handle(input: string): Response {
    this.requests.push(input);
    const url = new URL(input, "http://localhost");
    const match = /^\/api\/runs\/(\d+)\/jobs\/([^/]+)\/log(\/pages|\/search)?$/.exec(url.pathname);
    if (!match) return problem(404, "no route");
    const log = this.logs.get(`${match[1]}/${decodeURIComponent(match[2] ?? "")}`);
    if (!log) return problem(404, "job 'x' has not started yet");
    if (match[3] === "/pages") return json(this.pages(log));
    if (match[3] === "/search") return json(this.search(log, url.searchParams.get("q") ?? ""));

    const offset = Math.min(Number(url.searchParams.get("offset") ?? 0), log.bytes.length);
    const length = Math.min(log.bytes.length - offset, maxResponseBytes);
    const body = log.bytes.slice(offset, offset + length);
    return new Response(chunked(body, 64 * 1024), {
      headers: {
        "Content-Type": "text/plain; charset=utf-8",
        "X-Next-Offset": String(offset + length),
        "X-Log-Complete": String(log.complete && offset + length >= log.bytes.length),
        "X-Attempt": String(log.attempt),
      },
    });
  }

  private pages(log: FakeLog) {
    const pages = [{ offset: 0, line: 1 }];
    let line = 1;
    let boundary = this.pageBytes;
    for (let i = 0; i < log.bytes.length; i++) {
      if (log.bytes[i] !== 10) continue;
      line++;
      if (i + 1 >= boundary && i + 1 < log.bytes.length) {
        pages.push({ offset: i + 1, line });
        boundary = (Math.floor((i + 1) / this.pageBytes) + 1) * this.pageBytes;
      }
    }
    const lines = line - (log.bytes[log.bytes.length - 1] === 10 ? 1 : 0);
    return { attempt: log.attempt, size: log.bytes.length, lines, complete: log.complete, pageBytes: this.pageBytes, pages };
  }

  private search(log: FakeLog, q: string) {
    const text = new TextDecoder().decode(log.bytes);
    const matches: { line: number; offset: number; text: string }[] = [];
    let offset = 0;
    text.split("\n").forEach((raw, i) => {
      const shown = raw.slice(25);
      if (shown.toLowerCase().includes(q.toLowerCase())) matches.push({ line: i + 1, offset, text: shown });
      offset += this.encoder.encode(raw).length + 1;
    });
    return { attempt: log.attempt, matches, truncated: false };
  }
}

function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

function json(value: unknown): Response {
  return new Response(JSON.stringify(value), { headers: { "Content-Type": "application/json" } });
}

function problem(status: number, detail: string): Response {
  return new Response(JSON.stringify({ title: "Not found", status, detail }), {
    status,
    headers: { "Content-Type": "application/problem+json" },
  });
}
