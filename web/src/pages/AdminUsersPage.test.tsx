import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { App } from "../App";
import { setToken } from "../api/session";
import type { TokenInfo, User } from "../api/types";
import { endOfDay } from "../components/Admin/NewTokenForm";
import { SessionProvider } from "../hooks/session";
import { navigate } from "../routing/router";

const json = (value: unknown, status = 200) =>
  new Response(JSON.stringify(value), { status, headers: { "Content-Type": status < 300 ? "application/json" : "application/problem+json" } });

const validation = (errors: Record<string, string[]>) =>
  json({ title: "One or more validation errors occurred.", status: 400, errors }, 400);

const user = (name: string, role: User["role"], extra: Partial<User> = {}): User => ({
  name, role, createdAt: "2026-11-20T10:00:00Z", disabledAt: null, tokens: 1, activeTokens: 1, ...extra,
});

const secret = "plr_9f8e7d6c5b4a39281706f5e4d3c2b1a0";

/** The users and tokens endpoints, in memory; `refuse` answers a request with a problem instead. */
function serve(role = "admin", refuse: (path: string, method: string, body: unknown) => Response | undefined = () => undefined) {
  const users: User[] = [user("admin", "admin"), user("carol", "viewer", { disabledAt: "2026-11-21T09:00:00Z" })];
  const tokens: TokenInfo[] = [
    { id: 1, user: "admin", name: "bootstrap", role: "admin", prefix: "plr_boot", createdAt: "2026-11-20T10:00:00Z", expiresAt: null, revokedAt: null },
    { id: 2, user: "carol", name: "phone", role: "viewer", prefix: "plr_caro", createdAt: "2026-11-20T11:00:00Z", expiresAt: null, revokedAt: null },
  ];
  const fetch = vi.fn(async (input: string, init?: RequestInit) => {
    const path = new URL(input, "http://localhost").pathname;
    const method = init?.method ?? "GET";
    const body: unknown = init?.body ? JSON.parse(String(init.body)) : undefined;
    if (path === "/api/me") return json({ name: `someone-${role}`, role, anonymousRead: false });
    if (role !== "admin") return json({ title: "Forbidden", status: 403 }, 403);
    const refusal = refuse(path, method, body);
    if (refusal) return refusal;
    if (path === "/api/users" && method === "GET") return json(users);
    if (path === "/api/users" && method === "POST") {
      const created = user((body as User).name, (body as User).role, { tokens: 0, activeTokens: 0 });
      users.push(created);
      return json(created, 201);
    }
    const userMatch = /^\/api\/users\/(.+)$/.exec(path);
    if (userMatch && method === "PATCH") {
      const target = users.find((u) => u.name === decodeURIComponent(userMatch[1] ?? ""));
      if (!target) return json({ title: "Not Found", status: 404 }, 404);
      const change = body as { role?: User["role"]; disabled?: boolean };
      if (change.role) target.role = change.role;
      if (change.disabled !== undefined) target.disabledAt = change.disabled ? "2026-11-27T05:00:00Z" : null;
      return json(target);
    }
    if (path === "/api/tokens" && method === "GET") return json(tokens);
    if (path === "/api/tokens" && method === "POST") {
      const asked = body as { user: string; name: string; role?: User["role"]; expiresAt?: string };
      const info: TokenInfo = {
        id: tokens.length + 1, user: asked.user, name: asked.name, role: asked.role ?? "developer", prefix: secret.slice(0, 8),
        createdAt: "2026-11-27T05:00:00Z", expiresAt: asked.expiresAt ?? null, revokedAt: null,
      };
      tokens.push(info);
      return json({ ...info, token: secret }, 201);
    }
    const tokenMatch = /^\/api\/tokens\/(\d+)$/.exec(path);
    if (tokenMatch && method === "DELETE") {
      const target = tokens.find((t) => t.id === Number(tokenMatch[1]));
      if (target) target.revokedAt = "2026-11-27T05:01:00Z";
      return new Response(null, { status: 204 });
    }
    return json({ title: "Not found" }, 404);
  });
  vi.stubGlobal("fetch", fetch);
  return fetch;
}

const bodyOf = (fetch: ReturnType<typeof serve>, path: string, method: string) => {
  const call = fetch.mock.calls.find(([input, init]) => new URL(String(input), "http://localhost").pathname === path && init?.method === method);
  return call ? (JSON.parse(String(call[1]?.body)) as unknown) : undefined;
};

function open(role = "admin") {
  setToken(`plr_${role}`);
  navigate("/admin/users", { replace: true });
  render(
    <SessionProvider>
      <App />
    </SessionProvider>,
  );
}

afterEach(() => vi.unstubAllGlobals());

describe("AdminUsersPage", () => {
  it("lists users and tokens, adds a user, changes a role and disables a user", async () => {
    const fetch = serve();
    open();

    const users = await screen.findByRole("table", { name: "Users" });
    const carol = within(users).getByRole("row", { name: "User carol" });
    expect(within(carol).getByText(/Disabled since 2026-11-21/)).toBeTruthy();
    expect(within(carol).getByRole("button", { name: "Enable carol" })).toBeTruthy();
    const tokens = await screen.findByRole("table", { name: "Tokens" });
    expect(within(tokens).getByText("plr_boot…")).toBeTruthy();
    // A disabled user's token is said to be refused, in words.
    expect(within(within(tokens).getByRole("row", { name: "Token phone of carol" })).getByText("Refused: user disabled")).toBeTruthy();
    expect(within(carol).getByText("all refused while disabled (1 valid of 1)")).toBeTruthy();
    expect(screen.getByRole("link", { name: "Users and tokens" })).toBeTruthy();

    const add = screen.getByRole("form", { name: "Add user" });
    fireEvent.change(within(add).getByLabelText("Name"), { target: { value: "  dora " } });
    fireEvent.change(within(add).getByLabelText("Role"), { target: { value: "developer" } });
    fireEvent.click(within(add).getByRole("button", { name: "Add user" }));
    await waitFor(() => expect(bodyOf(fetch, "/api/users", "POST")).toEqual({ name: "dora", role: "developer" }));
    const dora = await within(users).findByRole("row", { name: "User dora" });
    expect(within(dora).getByText("Active")).toBeTruthy();

    fireEvent.change(within(dora).getByLabelText("Role of dora"), { target: { value: "release-manager" } });
    fireEvent.click(within(dora).getByRole("button", { name: "Change role" }));
    await waitFor(() => expect(bodyOf(fetch, "/api/users/dora", "PATCH")).toEqual({ role: "release-manager" }));

    fireEvent.click(within(dora).getByRole("button", { name: "Disable dora" }));
    await within(dora).findByText(/Disabled since/);
    const patches = fetch.mock.calls.filter(([input, init]) => String(input).endsWith("/api/users/dora") && init?.method === "PATCH");
    expect(JSON.parse(String(patches[1]?.[1]?.body))).toEqual({ disabled: true });
    expect(within(dora).getByRole("button", { name: "Enable dora" })).toBeTruthy();
  });

  it("shows the server's validation messages under their fields and a refusal in the user's row", async () => {
    serve("admin", (path, method, body) => {
      if (path === "/api/users" && method === "POST") return validation({ name: ["no slash and no control character"] });
      if (path === "/api/users/admin" && method === "PATCH" && (body as { disabled?: boolean }).disabled)
        return json({ title: "Conflict", status: 409, detail: "'admin' is the last admin with a working admin token" }, 409);
      if (path === "/api/tokens" && method === "POST") return validation({ role: ["at most the user's role, viewer"], expiresAt: ["a time in the future"] });
      return undefined;
    });
    open();

    const add = await screen.findByRole("form", { name: "Add user" });
    fireEvent.change(within(add).getByLabelText("Name"), { target: { value: "a/b" } });
    fireEvent.click(within(add).getByRole("button", { name: "Add user" }));
    const message = await within(add).findByText("no slash and no control character");
    expect(message.closest(".field")?.querySelector("label")?.textContent).toBe("Name");

    const admin = within(await screen.findByRole("table", { name: "Users" })).getByRole("row", { name: "User admin" });
    fireEvent.click(within(admin).getByRole("button", { name: "Disable admin" }));
    expect((await within(admin).findByRole("alert")).textContent).toContain("last admin with a working admin token");
    expect(within(admin).getByText("Active")).toBeTruthy();

    const form = screen.getByRole("form", { name: "New token" });
    fireEvent.change(within(form).getByLabelText("Token name"), { target: { value: "ci" } });
    fireEvent.change(within(form).getByLabelText("Token role"), { target: { value: "admin" } });
    fireEvent.click(within(form).getByRole("button", { name: "Create token" }));
    const roleMessage = await within(form).findByText("at most the user's role, viewer");
    expect(roleMessage.closest(".field")?.querySelector("label")?.textContent).toBe("Token role");
    expect(within(form).getByText("a time in the future").closest(".field")?.querySelector("label")?.textContent).toBe("Expires on");
    expect(screen.queryByRole("region", { name: "Created token" })).toBeNull();
  });

  it("shows a created token once, with a warning, and forgets it when dismissed", async () => {
    const fetch = serve();
    open();

    const form = await screen.findByRole("form", { name: "New token" });
    const userSelect = within(form).getByLabelText("User") as HTMLSelectElement;
    // Disabled users get no token: carol is not offered.
    expect(Array.from(userSelect.options).map((o) => o.value)).toEqual(["admin"]);
    fireEvent.change(within(form).getByLabelText("Token name"), { target: { value: "laptop" } });
    fireEvent.change(within(form).getByLabelText("Token role"), { target: { value: "viewer" } });
    fireEvent.change(within(form).getByLabelText("Expires on"), { target: { value: "2027-01-31" } });
    fireEvent.click(within(form).getByRole("button", { name: "Create token" }));

    const panel = await screen.findByRole("region", { name: "Created token" });
    expect(bodyOf(fetch, "/api/tokens", "POST")).toEqual({ user: "admin", name: "laptop", role: "viewer", expiresAt: endOfDay("2027-01-31") });
    const field = within(panel).getByLabelText("Token") as HTMLInputElement;
    expect(field.value).toBe(secret);
    expect(field.readOnly).toBe(true);
    expect(within(panel).getByText(/will not be shown again/)).toBeTruthy();
    expect(within(panel).getByRole("button", { name: "Copy" })).toBeTruthy();
    await within(await screen.findByRole("table", { name: "Tokens" })).findByRole("row", { name: "Token laptop of admin" });

    fireEvent.click(within(panel).getByRole("button", { name: "I have copied it, hide the token" }));
    expect(screen.queryByRole("region", { name: "Created token" })).toBeNull();
    expect(document.body.innerHTML).not.toContain(secret);
  });

  it("revokes a token only after the confirmation in the page", async () => {
    const fetch = serve();
    const confirm = vi.fn(() => true);
    vi.stubGlobal("confirm", confirm);
    open();

    const tokens = await screen.findByRole("table", { name: "Tokens" });
    const row = within(tokens).getByRole("row", { name: "Token bootstrap of admin" });
    fireEvent.click(within(row).getByRole("button", { name: "Revoke" }));
    const question = within(row).getByRole("group", { name: "Revoke token bootstrap?" });
    fireEvent.click(within(question).getByRole("button", { name: "Keep it" }));
    expect(fetch.mock.calls.some(([, init]) => init?.method === "DELETE")).toBe(false);

    fireEvent.click(within(row).getByRole("button", { name: "Revoke" }));
    fireEvent.click(within(row).getByRole("button", { name: "Yes, revoke" }));
    await within(row).findByText(/^Revoked /);
    expect(fetch.mock.calls.filter(([input, init]) => String(input).endsWith("/api/tokens/1") && init?.method === "DELETE")).toHaveLength(1);
    expect(confirm).not.toHaveBeenCalled();
  });

  it("tells someone who is not an admin that the page is for admins, without asking for users", async () => {
    const fetch = serve("developer");
    open("developer");

    expect((await screen.findByText("Only admins manage users and tokens.")).textContent).toBeTruthy();
    expect(screen.getByText(/signed in as someone-developer \(developer\)/)).toBeTruthy();
    expect(screen.queryByRole("link", { name: "Users and tokens" })).toBeNull();
    expect(screen.queryByRole("form")).toBeNull();
    expect(fetch.mock.calls.some(([input]) => String(input).includes("/api/users") || String(input).includes("/api/tokens"))).toBe(false);
  });
});
