import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { App } from "../App";
import type { Agent, RegistrationToken } from "../api/agents";
import { setToken } from "../api/session";
import { SessionProvider } from "../hooks/session";
import { navigate } from "../routing/router";

const json = (value: unknown, status = 200) =>
  new Response(JSON.stringify(value), { status, headers: { "Content-Type": status < 300 ? "application/json" : "application/problem+json" } });

const secret = "plg_4c3b2a1908f7e6d5c4b3a291807f6e5d";

/** The agents endpoints, in memory, as a server with the embedded agent and two remote ones answers them. */
function serve(role = "admin") {
  const agents: Agent[] = [
    { name: "embedded", labels: ["linux", "docker"], capacity: 2, status: "online", lastSeenAt: new Date().toISOString(), version: "1", runningJobs: [] },
    {
      name: "build-1", labels: ["linux", "docker", "perf"], capacity: 4, status: "online", lastSeenAt: new Date().toISOString(), version: "1",
      runningJobs: [{ runId: 12, job: "stress", attempt: 2 }],
    },
    { name: "old-box", labels: ["linux"], capacity: 1, status: "offline", lastSeenAt: "2026-11-01T08:00:00Z", version: "1", runningJobs: [] },
  ];
  const tokens: RegistrationToken[] = [
    { id: 1, name: "lab", prefix: "plg_lab0", createdBy: "admin", createdAt: "2026-11-20T10:00:00Z", revokedAt: null },
  ];
  const fetch = vi.fn(async (input: string, init?: RequestInit) => {
    const path = new URL(input, "http://localhost").pathname;
    const method = init?.method ?? "GET";
    const body: unknown = init?.body ? JSON.parse(String(init.body)) : undefined;
    if (path === "/api/me") return json({ name: `someone-${role}`, role, anonymousRead: false });
    if (path === "/api/agents" && method === "GET") return json(agents);
    if (role !== "admin") return json({ title: "Forbidden", status: 403 }, 403);
    const agentMatch = /^\/api\/agents\/([^/]+)$/.exec(path);
    if (agentMatch && agentMatch[1] !== "tokens") {
      const name = decodeURIComponent(agentMatch[1] ?? "");
      const target = agents.find((a) => a.name === name);
      if (!target) return json({ title: "Not Found", status: 404, detail: `no agent '${name}'` }, 404);
      if (method === "PATCH") {
        target.status = (body as { disabled: boolean }).disabled ? "disabled" : "online";
        return json(target);
      }
      if (method === "DELETE") {
        if (name === "embedded") return json({ title: "Conflict", status: 409, detail: "'embedded' is the agent inside the server: disable it" }, 409);
        agents.splice(agents.indexOf(target), 1);
        return new Response(null, { status: 204 });
      }
    }
    if (path === "/api/agents/tokens" && method === "GET") return json(tokens);
    if (path === "/api/agents/tokens" && method === "POST") {
      const name = (body as { name?: string }).name ?? "agents";
      tokens.push({ id: tokens.length + 1, name, prefix: secret.slice(0, 10), createdBy: "admin", createdAt: "2026-12-04T10:00:00Z", revokedAt: null });
      return json({ id: tokens.length, name, prefix: secret.slice(0, 10), token: secret, createdAt: "2026-12-04T10:00:00Z" }, 201);
    }
    const tokenMatch = /^\/api\/agents\/tokens\/(\d+)$/.exec(path);
    if (tokenMatch && method === "DELETE") {
      const target = tokens.find((t) => t.id === Number(tokenMatch[1]));
      if (target) target.revokedAt = "2026-12-04T10:05:00Z";
      return new Response(null, { status: 204 });
    }
    return json({ title: "Not found" }, 404);
  });
  vi.stubGlobal("fetch", fetch);
  return fetch;
}

function open(role = "admin") {
  setToken(`plr_${role}`);
  navigate("/agents", { replace: true });
  render(
    <SessionProvider>
      <App />
    </SessionProvider>,
  );
}

const calls = (fetch: ReturnType<typeof serve>, path: string, method: string) =>
  fetch.mock.calls.filter(([input, init]) => new URL(String(input), "http://localhost").pathname === path && (init?.method ?? "GET") === method);

afterEach(() => vi.unstubAllGlobals());

describe("AgentsPage", () => {
  it("lists every agent with its status, labels, capacity in use, running jobs and last contact", async () => {
    serve("viewer");
    open("viewer");

    const table = await screen.findByRole("table", { name: "Agents" });
    const build = within(table).getByRole("row", { name: "Agent build-1" });
    expect(within(build).getByText("Online")).toBeTruthy();
    expect(within(build).getByText("perf")).toBeTruthy();
    expect(within(build).getByText("1 / 4")).toBeTruthy();
    expect(within(build).getByRole("link", { name: "#12 stress" }).getAttribute("href")).toBe("/runs/12/jobs/stress?attempt=2");
    expect(within(build).getByText("just now")).toBeTruthy();
    const old = within(table).getByRole("row", { name: "Agent old-box" });
    expect(within(old).getByText("Offline")).toBeTruthy();
    expect(within(old).getByText("idle")).toBeTruthy();
    expect(within(old).getByText("2026-11-01")).toBeTruthy();
    expect(within(table).getByRole("row", { name: "Agent embedded" })).toBeTruthy();
    // Readers get no admin actions and no tokens.
    expect(within(table).queryByRole("button")).toBeNull();
    expect(screen.queryByRole("heading", { name: "Registration tokens" })).toBeNull();
    expect(screen.getByRole("link", { name: "Agents" }).getAttribute("aria-current")).toBe("page");
  });

  it("lets an admin disable, enable and, after confirming, delete an agent; a refusal shows in its row", async () => {
    const fetch = serve();
    open();

    const table = await screen.findByRole("table", { name: "Agents" });
    const build = within(table).getByRole("row", { name: "Agent build-1" });
    fireEvent.click(within(build).getByRole("button", { name: "Disable build-1" }));
    await within(build).findByText("Disabled");
    expect(JSON.parse(String(calls(fetch, "/api/agents/build-1", "PATCH")[0]?.[1]?.body))).toEqual({ disabled: true });
    fireEvent.click(within(build).getByRole("button", { name: "Enable build-1" }));
    await within(build).findByText("Online");
    expect(JSON.parse(String(calls(fetch, "/api/agents/build-1", "PATCH")[1]?.[1]?.body))).toEqual({ disabled: false });

    fireEvent.click(within(build).getByRole("button", { name: "Delete build-1" }));
    const confirm = within(build).getByRole("group", { name: "Delete agent build-1?" });
    expect(within(confirm).getByText(/its running jobs are lost when their leases end/)).toBeTruthy();
    expect(calls(fetch, "/api/agents/build-1", "DELETE")).toHaveLength(0);
    fireEvent.click(within(confirm).getByRole("button", { name: "Yes, delete" }));
    await waitFor(() => expect(within(table).queryByRole("row", { name: "Agent build-1" })).toBeNull());

    const embedded = within(table).getByRole("row", { name: "Agent embedded" });
    fireEvent.click(within(embedded).getByRole("button", { name: "Delete embedded" }));
    fireEvent.click(within(embedded).getByRole("button", { name: "Yes, delete" }));
    expect((await within(embedded).findByRole("alert")).textContent).toContain("is the agent inside the server");
  });

  it("shows a new registration token once, with how to start an agent, and lets an admin revoke one", async () => {
    const fetch = serve();
    open();

    const form = await screen.findByRole("form", { name: "New registration token" });
    fireEvent.change(within(form).getByLabelText("Token name"), { target: { value: " perf lab " } });
    fireEvent.click(within(form).getByRole("button", { name: "Create registration token" }));
    const created = await screen.findByRole("region", { name: "Created registration token" });
    expect(JSON.parse(String(calls(fetch, "/api/agents/tokens", "POST")[0]?.[1]?.body))).toEqual({ name: "perf lab" });
    expect((within(created).getByLabelText("Token") as HTMLInputElement).value).toBe(secret);
    expect(within(created).getByText(/will not be shown again/)).toBeTruthy();
    expect(within(created).getByText(/pipeliner agent --server/)).toBeTruthy();
    const tokens = await screen.findByRole("table", { name: "Registration tokens" });
    await within(tokens).findByText("perf lab");

    fireEvent.click(within(created).getByRole("button", { name: "I have copied it, hide the token" }));
    expect(screen.queryByRole("region", { name: "Created registration token" })).toBeNull();
    expect(document.body.innerHTML).not.toContain(secret);

    const lab = within(tokens).getByRole("row", { name: "Registration token lab (plg_lab0)" });
    fireEvent.click(within(lab).getByRole("button", { name: "Revoke" }));
    fireEvent.click(within(lab).getByRole("button", { name: "Yes, revoke" }));
    await within(lab).findByText(/Revoked 2026-12-04/);
    expect(calls(fetch, "/api/agents/tokens/1", "DELETE")).toHaveLength(1);
  });
});
