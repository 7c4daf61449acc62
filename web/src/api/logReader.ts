import type { Client } from "./client";
import { nextFrame } from "../hooks/nextFrame";
import { takePrefetchedLog } from "./logPrefetch";

/** The server answers at most this many bytes per log request (docs/api.md). */
export const maxResponseBytes = 8 * 1024 * 1024;

const yieldEveryMs = 50;

export interface LogReadResult {
  /** The byte offset after the last byte read. */
  next: number;
  /** The read reached what the log holds now (a running job may write more). */
  atEnd: boolean;
  /** The attempt has ended and every line of it was read. */
  complete: boolean;
  attempt: number;
}

export interface LogReadRequest {
  runId: number;
  job: string;
  attempt?: number;
  from: number;
  /** Stop before this byte offset (a page boundary, always at a line start); none: read to the end. */
  until?: number;
  signal?: AbortSignal;
}

/**
 * Reads a byte range of a job's log with the log endpoint's offset/X-Next-Offset paging, handing over the text as
 * it streams in, so the first lines can be shown before the rest has arrived.
 */
export async function readLog(
  client: Client,
  request: LogReadRequest,
  onText: (text: string, endOffset: number) => void,
): Promise<LogReadResult> {
  let offset = request.from;
  let attempt = request.attempt;
  const decoder = new TextDecoder();
  let lastYield = performance.now();
  let first = offset === 0;
  for (;;) {
    const prefetched = first ? await takePrefetchedLog(request.runId, request.job, attempt) : null;
    first = false;
    const response = prefetched ?? (await client.log(request.runId, request.job, attempt, offset, request.signal));
    attempt = Number(response.headers.get("X-Attempt") ?? attempt ?? 1);
    const complete = response.headers.get("X-Log-Complete") === "true";
    const reader = response.body?.getReader();
    let received = 0;
    let stopped = false;
    if (reader) {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        let bytes = value;
        if (request.until !== undefined && offset + bytes.length >= request.until) {
          bytes = bytes.subarray(0, request.until - offset);
          stopped = true;
        }
        received += bytes.length;
        offset += bytes.length;
        onText(decoder.decode(bytes, { stream: !stopped }), offset);
        // Chunks already buffered resolve at once: let the browser paint after the first one (the first lines show
        // early) and then now and then, so it never freezes while a large page streams in.
        if (received === bytes.length || performance.now() - lastYield > yieldEveryMs) {
          await nextFrame();
          lastYield = performance.now();
        }
        if (stopped) {
          await reader.cancel().catch(() => undefined);
          break;
        }
      }
    }
    if (stopped) return { next: offset, atEnd: false, complete: false, attempt };
    const tail = decoder.decode();
    if (tail) onText(tail, offset);
    // A shorter answer than the server's maximum means it had no more to give.
    if (received < maxResponseBytes) return { next: offset, atEnd: true, complete, attempt };
  }
}
