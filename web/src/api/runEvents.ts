import type { Client } from "./client";
import { ApiError, toApiError } from "./errors";
import { SseParser, type SseMessage } from "./sseParser";
import type { LogLineEvent, Run } from "./types";

export interface RunEventHandlers {
  onStatus?: (run: Run) => void;
  onLog?: (line: LogLineEvent) => void;
  onNote?: (note: { job: string; attempt: number; note: string }) => void;
  /** Connected (true) or lost and retrying (false). */
  onConnection?: (connected: boolean) => void;
  /** A refusal that retrying cannot fix (401, 403, 404): the stream stops. */
  onFatal?: (error: ApiError) => void;
}

export interface RunEventOptions {
  /** First delay before reconnecting; doubles up to maxRetryMs, or what the server's retry field says. */
  retryMs?: number;
  maxRetryMs?: number;
}

/**
 * Follows <c>GET /api/runs/{id}/events</c> over fetch rather than EventSource, because EventSource cannot send
 * the Authorization header. When the connection drops it reconnects with Last-Event-ID, so the server replays
 * only what was missed. Returns a function that stops it.
 */
export function subscribeRunEvents(
  client: Client,
  runId: number,
  handlers: RunEventHandlers,
  options: RunEventOptions = {},
): () => void {
  const controller = new AbortController();
  const firstDelay = options.retryMs ?? 1000;
  const maxDelay = options.maxRetryMs ?? 15000;
  let lastEventId: string | null = null;
  let serverRetry: number | null = null;

  const dispatch = (message: SseMessage) => {
    try {
      const data: unknown = JSON.parse(message.data);
      if (message.event === "status") handlers.onStatus?.(data as Run);
      else if (message.event === "log") handlers.onLog?.(data as LogLineEvent);
      else if (message.event === "note") handlers.onNote?.(data as { job: string; attempt: number; note: string });
    } catch {
      // A malformed event is skipped; the next status event carries the whole run again.
    }
  };

  async function connectOnce(): Promise<void> {
    const headers = client.headers({ Accept: "text/event-stream" });
    if (lastEventId !== null) headers.set("Last-Event-ID", lastEventId);
    const response = await client.fetch(`${client.baseUrl}/api/runs/${runId}/events`, {
      headers,
      signal: controller.signal,
      cache: "no-store",
    });
    if (!response.ok) throw await toApiError(response);
    if (!response.body) throw new Error("the event stream has no body");
    handlers.onConnection?.(true);

    const parser = new SseParser(dispatch);
    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
        lastEventId = parser.lastEventId ?? lastEventId;
        serverRetry = parser.retryMs ?? serverRetry;
      }
    } finally {
      reader.releaseLock();
    }
  }

  async function run(): Promise<void> {
    let delay = firstDelay;
    while (!controller.signal.aborted) {
      try {
        await connectOnce();
        delay = firstDelay;
      } catch (error) {
        if (controller.signal.aborted) return;
        if (error instanceof ApiError && [401, 403, 404].includes(error.status)) {
          handlers.onFatal?.(error);
          return;
        }
      }
      if (controller.signal.aborted) return;
      handlers.onConnection?.(false);
      await sleep(serverRetry ?? delay, controller.signal);
      delay = Math.min(delay * 2, maxDelay);
    }
  }

  void run();
  return () => controller.abort();
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
