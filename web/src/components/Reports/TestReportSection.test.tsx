import { fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { setToken } from "../../api/session";
import { TestReportSection, testsDuration } from "./TestReportSection";

const json = (value: unknown, status = 200) =>
  new Response(JSON.stringify(value), { status, headers: { "Content-Type": status < 300 ? "application/json" : "application/problem+json" } });

const divides = { name: "divides", className: "shop.CalcTest", message: "expected 2 but was 3" };

/** The report endpoints of one run: a failing unit job and a passing smoke job (whose full report is not readable). */
function serve() {
  const fetch = vi.fn(async (input: string) => {
    const path = new URL(input, "http://localhost").pathname;
    if (path === "/api/runs/7/tests")
      return json({
        total: 6, failed: 1, errored: 0, skipped: 1,
        jobs: [
          { job: "unit", total: 4, failed: 1, errored: 0, skipped: 1, failures: [divides] },
          { job: "smoke", total: 2, failed: 0, errored: 0, skipped: 0, failures: [] },
        ],
      });
    if (path === "/api/runs/7/jobs/unit/tests")
      return json({
        job: "unit", attempt: 1, total: 4, failed: 1, errored: 0, skipped: 1, durationMs: 64_500,
        problems: ["build/TEST-huge.xml: larger than 16 MiB"],
        failures: [{ ...divides, stackTrace: "at shop.CalcTest.divides(CalcTest.java:21)", errored: false }],
      });
    if (path === "/api/runs/7/jobs/smoke/tests")
      return json({ job: "smoke", attempt: 2, total: 2, failed: 0, errored: 0, skipped: 0, durationMs: 1_250, problems: [], failures: [] });
    return json({ title: "Not found", status: 404 }, 404);
  });
  vi.stubGlobal("fetch", fetch);
  return fetch;
}

afterEach(() => vi.unstubAllGlobals());

describe("TestReportSection", () => {
  it("shows the run's counts and duration, each job's duration, and a failing test's stack trace", async () => {
    const fetch = serve();
    setToken("plr_viewer");
    render(<TestReportSection runId={7} version="1" />);

    const tests = await screen.findByRole("region", { name: "Tests" });
    expect(within(tests).getByRole("heading", { level: 2 }).textContent).toBe("Tests: 1 of 6 tests failed");
    await within(tests).findByText(/1 skipped · 4 passed · 1m 05s$/);
    expect(within(tests).getByRole("heading", { name: /^unit: 1 of 4 tests failed/ }).textContent).toContain("1 skipped · 1m 04s");
    expect(within(tests).getByRole("heading", { name: /^smoke: 2 tests passed/ }).textContent).toContain("1.3 s");
    expect(within(tests).getByText("Left out: build/TEST-huge.xml: larger than 16 MiB")).toBeTruthy();

    fireEvent.click(within(tests).getByText("shop.CalcTest › divides"));
    expect(within(tests).getByText("at shop.CalcTest.divides(CalcTest.java:21)")).toBeTruthy();
    const asked = fetch.mock.calls.map(([input]) => new URL(String(input), "http://localhost").pathname);
    expect(asked.sort()).toEqual(["/api/runs/7/jobs/smoke/tests", "/api/runs/7/jobs/unit/tests", "/api/runs/7/tests"]);
  });

  it("still shows the counts when a job's full report cannot be read", async () => {
    const fetch = serve();
    fetch.mockImplementation(async (input: string) =>
      new URL(input, "http://localhost").pathname === "/api/runs/7/tests"
        ? json({ total: 1, failed: 1, errored: 0, skipped: 0, jobs: [{ job: "unit", total: 1, failed: 1, errored: 0, skipped: 0, failures: [divides] }] })
        : json({ title: "Not found", status: 404 }, 404),
    );
    setToken("plr_viewer");
    render(<TestReportSection runId={7} version="1" />);

    const tests = await screen.findByRole("region", { name: "Tests" });
    expect(within(tests).getByText("1 total · 1 failed · 0 errored · 0 skipped · 0 passed")).toBeTruthy();
    fireEvent.click(within(tests).getByText("shop.CalcTest › divides"));
    expect(within(tests).getByText("No stack trace.")).toBeTruthy();
  });

  it("says how long tests took, in seconds under a minute", () => {
    expect([testsDuration(4_200), testsDuration(59_940), testsDuration(185_000)]).toEqual(["4.2 s", "59.9 s", "3m 05s"]);
  });
});
