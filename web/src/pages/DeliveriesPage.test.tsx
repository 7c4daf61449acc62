import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { App } from "../App";
import type { Delivery } from "../api/types";
import { setToken } from "../api/session";
import { delivery as deliveryAt } from "../test/deliveries";
import { SessionProvider } from "../hooks/session";
import { navigate } from "../routing/router";

const delivery = (id: number, extra: Partial<Delivery> = {}) => deliveryAt(Date.now(), id, extra);

const json = (value: unknown, status = 200) =>
  new Response(JSON.stringify(value), { status, headers: { "Content-Type": status < 300 ? "application/json" : "application/problem+json" } });

function serve(role: string, items: Delivery[]) {
  const fetch = vi.fn(async (input: string, init?: RequestInit) => {
    const url = new URL(input, "http://localhost");
    if (url.pathname === "/api/me") return json({ name: "someone", role, anonymousRead: false });
    if (url.pathname === "/api/projects/shop/deliveries/1/redeliver" && init?.method === "POST")
      return json(delivery(9, { outcome: "received", redeliveryOf: 1, redeliverable: false }), 202);
    if (url.pathname === "/api/projects/shop/deliveries") return json({ items, total: items.length, page: 1, pageSize: 50 });
    if (url.pathname === "/api/projects/shop/overview") {
      const failure = items[0]?.outcome === "failed" ? items[0] : null;
      return json({ branches: [], pullRequests: [], lastDeliveryFailure: failure });
    }
    if (url.pathname === "/api/projects")
      return json([{ name: "shop", repository: "https://git.example.com/shop.git", forge: "github", pipelineFile: ".pipeliner.yml",
        defaultBranch: "main", createdAt: "2026-12-01T00:00:00Z", webhookUrl: "http://x/hooks/shop", latestDefaultBranchRun: null }]);
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

describe("DeliveriesPage", () => {
  it("lists the project's deliveries and lets an admin redeliver one", async () => {
    const fetch = serve("admin", [delivery(1, { outcome: "run", runId: 41, runNumber: 7 })]);
    setToken("plr_admin");
    open("/projects/shop/deliveries");

    await screen.findByRole("heading", { name: "Webhook deliveries of shop" });
    expect(screen.getByRole("link", { name: "Webhook deliveries" }).getAttribute("aria-current")).toBe("page");
    fireEvent.click(await screen.findByRole("button", { name: "Redeliver delivery 1" }));

    await waitFor(() =>
      expect(fetch.mock.calls.some(([input, init]) => String(input).endsWith("/deliveries/1/redeliver") && init?.method === "POST")).toBe(true),
    );
    await waitFor(() => expect(fetch.mock.calls.filter(([input]) => String(input).includes("/deliveries?page=1")).length).toBe(2));
  });

  it("shows a developer the deliveries without the Redeliver button", async () => {
    serve("developer", [delivery(1, { outcome: "not_triggered", message: "on.push.branches: branch 'x' matches none of main" })]);
    setToken("plr_dev");
    open("/projects/shop/deliveries");

    await screen.findByText("on.push.branches: branch 'x' matches none of main");
    expect(screen.queryByRole("button", { name: /Redeliver/ })).toBeNull();
  });

  it("tells a viewer that deliveries are for developers", async () => {
    const fetch = serve("viewer", []);
    setToken("plr_viewer");
    open("/projects/shop/deliveries");

    await screen.findByText("Developers and admins see a project's webhook deliveries.");
    expect(fetch.mock.calls.some(([input]) => String(input).includes("/deliveries"))).toBe(false);
  });

  it("shows the last delivery's failure on the project's card", async () => {
    serve("viewer", [delivery(1, { outcome: "failed", message: "cannot read the repository https://git.example.com/shop.git: failed to resolve address" })]);
    setToken("plr_viewer");
    open("/");

    const card = await screen.findByRole("article");
    const failure = await within(card).findByText(/Last webhook: failed/);
    expect(failure.parentElement!.textContent).toContain("failed to resolve address");
    expect(within(card).getByRole("link", { name: "See the deliveries" }).getAttribute("href")).toBe("/projects/shop/deliveries");
  });
});
