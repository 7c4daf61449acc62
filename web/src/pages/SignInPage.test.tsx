import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { App } from "../App";
import type { Me } from "../api/types";
import { SessionProvider } from "../hooks/session";
import { navigate } from "../routing/router";

const json = (value: unknown, status = 200) =>
  new Response(JSON.stringify(value), { status, headers: { "Content-Type": status < 300 ? "application/json" : "application/problem+json" } });

const nobody: Me = { name: null, role: null, anonymousRead: false, sso: null };

/**
 * A server with one user, "dana" with the password "a long passphrase": POST /api/session sets the anti-forgery
 * cookie as the real one does, DELETE /api/session ends it. Every request is recorded with its headers.
 */
function serve(options: { sso?: string } = {}) {
  let signedIn = false;
  const calls: { method: string; path: string; headers: Headers; body: unknown }[] = [];
  const fetch = vi.fn(async (input: string, init?: RequestInit) => {
    const url = new URL(input, "http://localhost");
    const method = init?.method ?? "GET";
    const body: unknown = init?.body ? JSON.parse(String(init.body)) : undefined;
    calls.push({ method, path: url.pathname, headers: new Headers(init?.headers), body });
    if (url.pathname === "/api/me")
      return json(signedIn ? { name: "dana", role: "developer", anonymousRead: false, session: true, sso: options.sso ?? null } : { ...nobody, sso: options.sso ?? null });
    if (url.pathname === "/api/session" && method === "POST") {
      const { user, password } = body as { user: string; password: string };
      if (user !== "dana" || password !== "a long passphrase") return json({ title: "Unauthorized", status: 401, detail: "wrong user name or password" }, 401);
      signedIn = true;
      document.cookie = "pipeliner_csrf=proof-123; path=/";
      return new Response(null, { status: 204 });
    }
    if (url.pathname === "/api/session" && method === "DELETE") {
      signedIn = false;
      document.cookie = "pipeliner_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/";
      return new Response(null, { status: 204 });
    }
    if (url.pathname === "/api/projects") return json([]);
    return json({ title: "Not found" }, 404);
  });
  vi.stubGlobal("fetch", fetch);
  return calls;
}

function renderAt(path: string) {
  navigate(path, { replace: true });
  return render(
    <SessionProvider>
      <App />
    </SessionProvider>,
  );
}

afterEach(() => {
  vi.unstubAllGlobals();
  document.cookie = "pipeliner_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/";
});

describe("SignInPage", () => {
  it("signs in with a password and returns to the deep link, its log line anchor included", async () => {
    const calls = serve();
    renderAt("/projects/shop?branch=main#L9");
    const form = await screen.findByRole("form", { name: "Sign in with a password" });
    expect(new URLSearchParams(window.location.search).get("next")).toBe("/projects/shop?branch=main#L9");

    fireEvent.change(within(form).getByLabelText("User"), { target: { value: " dana " } });
    fireEvent.change(within(form).getByLabelText("Password"), { target: { value: "a long passphrase" } });
    fireEvent.click(within(form).getByLabelText("Keep me signed in"));
    fireEvent.click(within(form).getByRole("button", { name: "Sign in" }));

    await waitFor(() => expect(window.location.pathname).toBe("/projects/shop"));
    expect(window.location.search).toBe("?branch=main");
    expect(window.location.hash).toBe("#L9");
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ user: "dana", password: "a long passphrase", remember: true });
    expect(await screen.findByText("dana")).toBeTruthy();
  });

  it("shows the server's refusal and stays on the page when the password is wrong", async () => {
    serve();
    renderAt("/sign-in");
    const form = await screen.findByRole("form", { name: "Sign in with a password" });
    fireEvent.change(within(form).getByLabelText("User"), { target: { value: "dana" } });
    fireEvent.change(within(form).getByLabelText("Password"), { target: { value: "guess" } });
    fireEvent.click(within(form).getByRole("button", { name: "Sign in" }));

    expect((await within(form).findByRole("alert")).textContent).toBe("Unauthorized: wrong user name or password");
    expect(window.location.pathname).toBe("/sign-in");
  });

  it("sends the anti-forgery proof with writes and signs out on the server", async () => {
    const calls = serve();
    renderAt("/sign-in");
    const form = await screen.findByRole("form", { name: "Sign in with a password" });
    fireEvent.change(within(form).getByLabelText("User"), { target: { value: "dana" } });
    fireEvent.change(within(form).getByLabelText("Password"), { target: { value: "a long passphrase" } });
    fireEvent.click(within(form).getByRole("button", { name: "Sign in" }));
    await screen.findByText("dana");

    fireEvent.click(screen.getByRole("button", { name: "Sign out" }));

    await screen.findByRole("form", { name: "Sign in with a password" });
    const signOut = calls.find((c) => c.method === "DELETE" && c.path === "/api/session");
    expect(signOut?.headers.get("X-Pipeliner-Csrf")).toBe("proof-123");
    expect(signOut?.headers.get("Authorization")).toBeNull();
  });

  it("offers single sign-on when the server has it, keeping the deep link and 'keep me signed in'", async () => {
    serve({ sso: "Keycloak" });
    renderAt("/sign-in?next=%2Fruns%2F3%2Fjobs%2Fbuild%23L9");
    const button = await screen.findByRole("link", { name: "Sign in with Keycloak" });
    fireEvent.click(screen.getByLabelText("Keep me signed in"));

    const url = new URL(button.getAttribute("href") ?? "", "http://localhost");
    expect(url.pathname).toBe("/api/session/oidc");
    expect(url.searchParams.get("next")).toBe("/runs/3/jobs/build#L9");
    expect(url.searchParams.get("remember")).toBe("true");
  });

  it("shows no single sign-on button without it, and a single sign-on failure from the server", async () => {
    serve();
    renderAt("/sign-in?error=single%20sign-on%20failed%3A%20access_denied");
    await screen.findByRole("form", { name: "Sign in with a password" });
    expect(screen.queryByRole("link", { name: /Sign in with/ })).toBeNull();
    expect(screen.getByText("single sign-on failed: access_denied")).toBeTruthy();
  });

  it("keeps the API token as an option for automation users", async () => {
    serve();
    const tokenFetch = vi.fn(async () => json({ name: "robot", role: "viewer", anonymousRead: false, token: "ci" }));
    renderAt("/sign-in?next=%2Faccount");
    const form = await screen.findByRole("form", { name: "Sign in with a token" });
    vi.stubGlobal("fetch", tokenFetch);
    fireEvent.change(within(form).getByLabelText("Token"), { target: { value: "plr_robot" } });
    fireEvent.click(within(form).getByRole("button", { name: "Sign in with the token" }));

    await screen.findByText("with the token ci", { exact: false });
    expect(window.location.pathname).toBe("/account");
    expect(sessionStorage.getItem("pipeliner.token")).toBe("plr_robot");
    expect(new Headers((tokenFetch.mock.calls[0] as unknown as [string, RequestInit])[1].headers).get("Authorization")).toBe("Bearer plr_robot");
  });

  it("never sends a signed-in person to another site", async () => {
    const { safeNext } = await import("./SignInPage");
    expect(safeNext("//evil.example/x")).toBe("/");
    expect(safeNext("https://evil.example/")).toBe("/");
    expect(safeNext("/\\evil.example")).toBe("/");
    expect(safeNext("/runs/3#L9")).toBe("/runs/3#L9");
  });
});
