import { describe, expect, it } from "vitest";
import { createClient } from "./client";
import { prefetchLog, takePrefetchedLog } from "./logPrefetch";

function clientAnswering(attempt: number, status = 200) {
  let calls = 0;
  const client = createClient({
    fetch: () => {
      calls++;
      return Promise.resolve(new Response("log", { status, headers: { "X-Attempt": String(attempt) } }));
    },
  });
  return { client, calls: () => calls };
}

describe("log prefetch", () => {
  it("hands the early answer to the first read of that job, once", async () => {
    const { client, calls } = clientAnswering(2);
    prefetchLog(client, 7, "build");
    prefetchLog(client, 7, "build");
    expect(calls()).toBe(1);
    expect(await takePrefetchedLog(7, "other", undefined)).toBeNull();
    const response = await takePrefetchedLog(7, "build", 2);
    expect(await response?.text()).toBe("log");
    expect(await takePrefetchedLog(7, "build", 2)).toBeNull();
  });

  it("is not used for another attempt or a refusal", async () => {
    const { client } = clientAnswering(1);
    prefetchLog(client, 8, "build");
    expect(await takePrefetchedLog(8, "build", 2)).toBeNull();

    const refused = clientAnswering(1, 404);
    prefetchLog(refused.client, 9, "build");
    expect(await takePrefetchedLog(9, "build", undefined)).toBeNull();
  });
});
