import { render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { App } from "./App";
import type { ForgeStatuses, Job, Me, Run } from "./api/types";
import { SessionProvider } from "./hooks/session";
import { navigate } from "./routing/router";

const json = (value: unknown, status = 200) =>
  new Response(JSON.stringify(value), { status, headers: { "Content-Type": status === 200 ? "application/json" : "application/problem+json" } });

const job = (id: string, extra: Partial<Job> = {}): Job => ({
  id, stage: "build", status: "running", reason: null, needs: [], manual: false, allowFailure: false, environment: null, runsOn: [],
  approvedBy: null, startedAt: null, finishedAt: null, durationSeconds: null, attempts: [], ...extra,
});

const run: Run = {
  id: 3, project: "shop", number: 3, status: "running", event: "push", branch: "main", tag: null, commit: "abcdef0123456789",
  commitMessage: "Add the cart", author: "dana", pullRequest: null, sourceBranch: null, trigger: "webhook", createdAt: new Date().toISOString(),
  startedAt: null, finishedAt: null, durationSeconds: null, stages: ["build", "release"],
  jobs: [job("compile"), job("deploy", { stage: "release", status: "pending", manual: true, reason: "waiting for approval", needs: ["compile"] })],
  errors: null,
};

const forgeStatuses: ForgeStatuses = {
  reports: true,
  contexts: [{ context: "pipeliner", job: null, state: "running", deliveredState: "running" }],
  attempts: [{ context: "pipeliner", state: "running", description: "Run #3 is running", outcome: "delivered", httpStatus: 201, message: null, at: new Date().toISOString() }],
};

/** A server answering /api/me with this identity, and the few reads the pages make. */
function serve(me: Me | "refuse") {
  const fetch = vi.fn(async (input: string, init?: RequestInit) => {
    const url = new URL(input, "http://localhost");
    const token = new Headers(init?.headers).get("Authorization");
    if (url.pathname === "/api/me") return me === "refuse" && token ? json({ title: "Unauthorized" }, 401) : json(me === "refuse" ? { name: null, role: null, anonymousRead: false } : me);
    if (url.pathname === "/api/projects") return json([]);
    if (url.pathname === "/api/runs/3" || url.pathname === "/api/projects/shop/runs/3") return json(run);
    if (url.pathname === "/api/runs/3/events") return new Response(new ReadableStream(), { headers: { "Content-Type": "text/event-stream" } });
    if (url.pathname === "/api/runs/3/statuses") return json(forgeStatuses);
    return json({ title: "Not found" }, 404);
  });
  vi.stubGlobal("fetch", fetch);
  return fetch;
}

function renderApp(path: string) {
  navigate(path, { replace: true });
  return render(
    <SessionProvider>
      <App />
    </SessionProvider>,
  );
}

afterEach(() => vi.unstubAllGlobals());

describe("App", () => {
  it("sends people without a token to sign in when reading needs one", async () => {
    serve({ name: null, role: null, anonymousRead: false });
    renderApp("/runs/3");
    await screen.findByRole("heading", { name: "Sign in" });
    expect(window.location.pathname).toBe("/sign-in");
    expect(new URLSearchParams(window.location.search).get("next")).toBe("/runs/3");
  });

  it("lets people browse read-only when the server allows anonymous reading", async () => {
    serve({ name: null, role: null, anonymousRead: true });
    renderApp("/");
    await screen.findByRole("heading", { name: "Projects" });
    expect(screen.getByText("read-only")).toBeTruthy();
    expect(screen.getByRole("link", { name: "Sign in" })).toBeTruthy();
  });

  it("shows cancel and approve only to the roles that may use them", async () => {
    sessionStorage.setItem("pipeliner.token", "plr_viewer");
    serve({ name: "val", user: "val", token: "laptop", role: "viewer", anonymousRead: false });
    const viewer = renderApp("/runs/3");
    await screen.findByText("Add the cart");
    expect((await screen.findByText("val")).getAttribute("title")).toBe("Signed in as val (viewer), token laptop");
    expect(screen.queryByRole("button", { name: "Cancel run" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Approve" })).toBeNull();
    viewer.unmount();

    serve({ name: "dev", role: "developer", anonymousRead: false });
    const developer = renderApp("/runs/3");
    await screen.findByRole("button", { name: "Cancel run" });
    expect(screen.queryByRole("button", { name: "Approve" })).toBeNull();
    developer.unmount();

    serve({ name: "rel", role: "release-manager", anonymousRead: false });
    renderApp("/runs/3");
    await screen.findByRole("button", { name: "Approve" });
    expect(screen.getByRole("button", { name: "Cancel run" })).toBeTruthy();
  });

  it("shows on a run's page what its forge was told", async () => {
    serve({ name: "view", role: "viewer", anonymousRead: false });
    renderApp("/runs/3");
    const panel = await screen.findByRole("region", { name: "Forge statuses" });
    expect(panel.textContent).toContain("1 context, the forge is up to date");
    expect(panel.textContent).toContain("HTTP 201");
  });

  it("opens a run by its project and number, and links its jobs the same way", async () => {
    const fetch = serve({ name: "view", role: "viewer", anonymousRead: false });
    renderApp("/projects/shop/runs/3");
    await screen.findByText("Add the cart");
    expect(fetch.mock.calls.some(([input]) => String(input) === "/api/projects/shop/runs/3")).toBe(true);
    expect(screen.getByRole("link", { name: "compile" }).getAttribute("href")).toBe("/projects/shop/runs/3/jobs/compile");
    expect(screen.getByRole("link", { name: "shop" }).getAttribute("href")).toBe("/projects/shop");
  });

  it("drops a token the server no longer accepts", async () => {
    sessionStorage.setItem("pipeliner.token", "plr_revoked");
    serve("refuse");
    renderApp("/");
    await screen.findByRole("heading", { name: "Sign in" });
    await waitFor(() => expect(sessionStorage.getItem("pipeliner.token")).toBeNull());
  });
});
