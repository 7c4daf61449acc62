import { describe, expect, it } from "vitest";
import { createClient } from "./client";
import { subscribeRunEvents } from "./runEvents";
import { SseParser, type SseMessage } from "./sseParser";
import type { LogLineEvent, Run } from "./types";

/** An event stream answer whose body is these text pieces, then the end (the connection drops). */
function stream(pieces: string[], status = 200): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(encoder.encode(piece));
      controller.close();
    },
  });
  return new Response(status === 200 ? body : JSON.stringify({ title: "Unauthorized" }), {
    status,
    headers: { "Content-Type": status === 200 ? "text/event-stream" : "application/problem+json" },
  });
}

const status = (state: string) => `event: status\ndata: ${JSON.stringify({ id: 5, status: state })}\n\n`;
const log = (id: number, text: string) => `id: ${id}\nevent: log\ndata: ${JSON.stringify({ job: "build", attempt: 1, time: "t", text })}\n\n`;

function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const check = () => {
      if (condition()) resolve();
      else if (Date.now() - start > timeoutMs) reject(new Error("timed out"));
      else setTimeout(check, 5);
    };
    check();
  });
}

describe("subscribeRunEvents", () => {
  it("reconnects with Last-Event-ID and gets only what it missed", async () => {
    const calls: Headers[] = [];
    const answers = [
      // First connection: the run, two lines (the second split across chunks), then the connection drops.
      () => stream([status("running"), log(1, "one"), log(2, "tw").slice(0, 20), log(2, "tw").slice(20)]),
      // The server replays what came after event 2.
      () => stream([status("running"), log(3, "three"), status("succeeded")]),
    ];
    const client = createClient({
      token: () => "plr_secret",
      fetch: (_url, init) => {
        calls.push(new Headers(init?.headers));
        const answer = answers.shift();
        return answer ? Promise.resolve(answer()) : new Promise(() => {});
      },
    });

    const lines: LogLineEvent[] = [];
    const states: string[] = [];
    const stop = subscribeRunEvents(client, 5, { onLog: (l) => lines.push(l), onStatus: (r: Run) => states.push(r.status) }, { retryMs: 5 });
    await until(() => states.length === 3);
    stop();

    expect(lines.map((l) => l.text)).toEqual(["one", "tw", "three"]);
    expect(states).toEqual(["running", "running", "succeeded"]);
    expect(calls[0]!.get("Last-Event-ID")).toBeNull();
    expect(calls[1]!.get("Last-Event-ID")).toBe("2");
    expect(calls[1]!.get("Authorization")).toBe("Bearer plr_secret");
    expect(calls[1]!.get("Accept")).toBe("text/event-stream");
  });

  it("retries after a network failure, keeping its place", async () => {
    let call = 0;
    const seen: (string | null)[] = [];
    const client = createClient({
      token: () => null,
      fetch: (_url, init) => {
        seen.push(new Headers(init?.headers).get("Last-Event-ID"));
        call++;
        if (call === 1) return Promise.resolve(stream([log(7, "a")]));
        if (call === 2) return Promise.reject(new TypeError("network down"));
        return Promise.resolve(stream([log(8, "b")]));
      },
    });
    const lines: string[] = [];
    const stop = subscribeRunEvents(client, 1, { onLog: (l) => lines.push(l.text) }, { retryMs: 5 });
    await until(() => lines.length === 2);
    stop();
    expect(seen.slice(0, 3)).toEqual([null, "7", "7"]);
  });

  it("stops for good when the server refuses (401)", async () => {
    let calls = 0;
    const client = createClient({ fetch: () => (calls++, Promise.resolve(stream([], 401))) });
    let fatal: number | null = null;
    subscribeRunEvents(client, 1, { onFatal: (e) => (fatal = e.status) }, { retryMs: 5 });
    await until(() => fatal !== null);
    await new Promise((r) => setTimeout(r, 50));
    expect(fatal).toBe(401);
    expect(calls).toBe(1);
  });
});

describe("SseParser", () => {
  it("follows the event-stream rules: CRLF, comments, multi-line data, ids", () => {
    const messages: SseMessage[] = [];
    const parser = new SseParser((m) => messages.push(m));
    parser.feed(": keep-alive\r\n\r\nid: 4\r\nevent: log\r\ndata: a\r");
    parser.feed("\ndata: b\r\n\r\ndata: plain\n\nretry: 3000\n\n");
    expect(messages).toEqual([
      { id: "4", event: "log", data: "a\nb" },
      { id: "4", event: "message", data: "plain" },
    ]);
    expect(parser.lastEventId).toBe("4");
    expect(parser.retryMs).toBe(3000);
  });
});
