import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { App } from "../App";
import { setToken } from "../api/session";
import { SessionProvider } from "../hooks/session";
import { navigate } from "../routing/router";

const json = (value: unknown, status = 200) =>
  new Response(JSON.stringify(value), { status, headers: { "Content-Type": status < 300 ? "application/json" : "application/problem+json" } });

const match = (runId: number, number: number, job: string, line: number, text: string) =>
  ({ runId, project: "shop", number, branch: "main", job, attempt: 1, line, text });

function serve() {
  const fetch = vi.fn(async (input: string) => {
    const url = new URL(input, "http://localhost");
    if (url.pathname === "/api/me") return json({ name: "someone", role: "viewer", anonymousRead: false });
    if (url.pathname === "/api/search/logs")
      return json({
        matches: [match(9, 3, "test", 12, "NullReferenceException at Foo"), match(9, 3, "test", 40, "again nullreferenceexception"), match(4, 1, "build", 7, "NullReferenceException")],
        truncated: true,
        tookMs: 12,
      });
    return json({ title: "Not found" }, 404);
  });
  vi.stubGlobal("fetch", fetch);
  return fetch;
}

function open(path: string) {
  navigate(path, { replace: true });
  render(
    <SessionProvider>
      <App />
    </SessionProvider>,
  );
}

afterEach(() => vi.unstubAllGlobals());

describe("LogSearchPage", () => {
  it("groups matches by run and job and links each line to the log viewer", async () => {
    const fetch = serve();
    setToken("plr_viewer");
    open("/search?q=NullReference&status=failed");

    const newest = await screen.findByRole("region", { name: "Run shop #3" });
    expect(within(newest).getByRole("link", { name: "Line 12 of test" }).getAttribute("href")).toBe("/projects/shop/runs/3/jobs/test?attempt=1#L12");
    expect(within(newest).getAllByRole("listitem")).toHaveLength(2);
    expect(within(newest).getAllByText("NullReference", { selector: "mark" })).toHaveLength(1);
    expect(screen.getByRole("region", { name: "Run shop #1" })).toBeTruthy();
    expect(screen.getByRole("status").textContent).toContain("there are more");
    const asked = fetch.mock.calls.map(([input]) => String(input)).find((u) => u.includes("/api/search/logs"));
    expect(asked).toContain("q=NullReference");
    expect(asked).toContain("status=failed");
  });

  it("asks for three characters before searching, and the header box searches", async () => {
    const fetch = serve();
    setToken("plr_viewer");
    open("/search?q=ab");

    await screen.findByText(/at least 3 characters/);
    expect(fetch.mock.calls.some(([input]) => String(input).includes("/api/search/logs"))).toBe(false);
    const box = screen.getByRole("searchbox", { name: "Search all logs" });
    fireEvent.change(box, { target: { value: "NullReference" } });
    fireEvent.submit(box);
    await screen.findByRole("region", { name: "Run shop #3" });
    await waitFor(() => expect(window.location.search).toContain("q=NullReference"));
  });
});
