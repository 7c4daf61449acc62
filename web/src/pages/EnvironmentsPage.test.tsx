import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { App } from "../App";
import type { Deployment, Environment } from "../api/types";
import { setToken } from "../api/session";
import { SessionProvider } from "../hooks/session";
import { navigate } from "../routing/router";

const json = (value: unknown, status = 200) =>
  new Response(JSON.stringify(value), { status, headers: { "Content-Type": status < 300 ? "application/json" : "application/problem+json" } });

const deployment = (id: number, environment: string, runNumber: number): Deployment => ({
  id, environment, runId: 40 + runNumber, runNumber, job: `deploy-${environment}`, attempt: 1, commit: "0123456789abcdef",
  version: `#${runNumber}`, artifacts: [{ job: "package", path: "dist", sha256: "c0ffee".padEnd(64, "0") }], deployedBy: "alice",
  approvedBy: null, deployedAt: new Date().toISOString(), trigger: "manual by alice",
});

const environments: Environment[] = [
  {
    name: "qa",
    rules: { requiredRole: "release-manager", requires: ["dit"], approvals: 0, branches: [], tags: [], configured: true },
    current: deployment(2, "qa", 8),
    history: [deployment(2, "qa", 8), deployment(1, "qa", 7)],
  },
  {
    name: "prod",
    rules: { requiredRole: "admin", requires: ["qa"], approvals: 1, branches: [], tags: [], configured: true },
    current: deployment(4, "prod", 6),
    history: [deployment(4, "prod", 6), deployment(3, "prod", 5)],
  },
];

function serve(role = "release-manager") {
  const fetch = vi.fn(async (input: string, init?: RequestInit) => {
    const url = new URL(input, "http://localhost");
    if (url.pathname === "/api/me") return json({ name: "rm", role, anonymousRead: false });
    if (url.pathname === "/api/projects/shop/environments/prod" && init?.method === "PUT") return json(environments[1]);
    if (url.pathname === "/api/projects/shop/environments") return json(environments);
    if (url.pathname === "/api/projects/shop/environments/qa/redeploy" && init?.method === "POST")
      return json({ runId: 47, environment: "qa", jobs: ["deploy-qa"], status: "started", requiredApprovals: 0 }, 202);
    return json({ title: "Not found" }, 404);
  });
  vi.stubGlobal("fetch", fetch);
  return fetch;
}

afterEach(() => vi.unstubAllGlobals());

describe("EnvironmentsPage", () => {
  it("shows each environment's deployments and redeploys an earlier one where the role allows it", async () => {
    const fetch = serve();
    setToken("plr_rm");
    navigate("/projects/shop/environments", { replace: true });
    render(
      <SessionProvider>
        <App />
      </SessionProvider>,
    );

    await screen.findByRole("heading", { name: "Environments of shop" });
    const prod = await screen.findByRole("region", { name: "Environment prod" });
    const qa = screen.getByRole("region", { name: "Environment qa" });
    await within(qa).findByRole("button", { name: "Redeploy #7" });
    expect(within(prod).queryByRole("button")).toBeNull();

    fireEvent.click(within(qa).getByRole("button", { name: "Redeploy #7" }));

    await waitFor(() => {
      const call = fetch.mock.calls.find(([input]) => String(input).endsWith("/environments/qa/redeploy"));
      expect(call?.[1]?.body).toBe(JSON.stringify({ deploymentId: 1 }));
    });
  });

  it("lets an admin change an environment's rules in place, and nobody else", async () => {
    const fetch = serve("admin");
    setToken("plr_admin");
    navigate("/projects/shop/environments", { replace: true });
    render(
      <SessionProvider>
        <App />
      </SessionProvider>,
    );

    const prod = await screen.findByRole("region", { name: "Environment prod" });
    fireEvent.click(await within(prod).findByRole("button", { name: "Edit rules" }));
    expect((within(prod).getByLabelText("Requires") as HTMLInputElement).value).toBe("qa");
    fireEvent.change(within(prod).getByLabelText("Approvals"), { target: { value: "2" } });
    fireEvent.click(within(prod).getByRole("button", { name: "Save rules" }));

    await waitFor(() => {
      const call = fetch.mock.calls.find(([input, init]) => String(input).endsWith("/environments/prod") && init?.method === "PUT");
      expect(JSON.parse(String(call?.[1]?.body))).toEqual({ requiredRole: "admin", requires: ["qa"], approvals: 2, branches: [], tags: [] });
    });
    expect(screen.getByRole("button", { name: "Set the rules of another environment" })).toBeTruthy();
  });

  it("shows no rule editing to a release manager", async () => {
    serve("release-manager");
    setToken("plr_rm");
    navigate("/projects/shop/environments", { replace: true });
    render(
      <SessionProvider>
        <App />
      </SessionProvider>,
    );

    const qa = await screen.findByRole("region", { name: "Environment qa" });
    await within(qa).findByRole("button", { name: "Redeploy #7" });
    expect(screen.queryByRole("button", { name: "Edit rules" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Set the rules of another environment" })).toBeNull();
  });
});
