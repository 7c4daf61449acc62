import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { ForgeStatuses } from "../../api/types";
import { ForgeStatusPanel } from "./ForgeStatusPanel";

const statuses: ForgeStatuses = {
  reports: true,
  contexts: [
    { context: "pipeliner", job: null, state: "success", deliveredState: "success" },
    { context: "pipeliner/build", job: "build", state: "failure", deliveredState: "pending" },
  ],
  attempts: [
    {
      context: "pipeliner", state: "pending", description: "Run #3 is queued", outcome: "failed", httpStatus: 500,
      message: "Internal Server Error: the forge is down", at: "2026-11-27T02:00:00Z",
    },
    {
      context: "pipeliner", state: "success", description: "Run #3 succeeded", outcome: "delivered", httpStatus: 201,
      message: null, at: "2026-11-27T02:00:05Z",
    },
    {
      context: "pipeliner", state: "pending", description: "Run #3 is queued", outcome: "skipped", httpStatus: null,
      message: "superseded: a newer state of this context is settled already", at: "2026-11-27T02:00:06Z",
    },
  ],
};

describe("ForgeStatusPanel", () => {
  it("shows each context's state next to what the forge has, and says how many are behind", () => {
    render(<ForgeStatusPanel statuses={statuses} />);
    const panel = screen.getByRole("region", { name: "Forge statuses" });
    expect(within(panel).getByText("1 of 2 contexts not delivered yet")).toBeTruthy();
    const rows = within(panel).getAllByRole("row").filter((row) => row.closest(".forge-status-contexts"));
    expect(rows.slice(1).map((row) => [...row.querySelectorAll("td")].map((cell) => cell.textContent))).toEqual([
      ["pipeliner", "success", "success"],
      ["pipeliner/build", "failure", "pending"],
    ]);
  });

  it("lists every delivery try with its HTTP answer or why it was skipped", () => {
    const { container } = render(<ForgeStatusPanel statuses={statuses} />);
    const attempts = [...container.querySelectorAll<HTMLElement>(".forge-status-attempts tbody tr")];
    expect(attempts.map((row) => row.getAttribute("data-outcome"))).toEqual(["failed", "delivered", "skipped"]);
    const [failed, delivered, skipped] = attempts.map((row) => row.textContent ?? "");
    expect(failed).toContain("failed, will retry");
    expect(failed).toContain("HTTP 500: Internal Server Error: the forge is down");
    expect(delivered).toContain("HTTP 201");
    expect(skipped).toContain("superseded");
    expect(within(attempts[1]!).getByTitle("Run #3 succeeded").textContent).toBe("success");
  });

  it("says the forge is up to date when every context is delivered", () => {
    render(<ForgeStatusPanel statuses={{ ...statuses, contexts: statuses.contexts.slice(0, 1), attempts: [] }} />);
    expect(screen.getByText("1 context, the forge is up to date")).toBeTruthy();
    expect(document.querySelector(".forge-status-attempts")).toBeNull();
  });

  it("renders nothing for a project that sends no commit statuses", () => {
    const { container } = render(<ForgeStatusPanel statuses={{ reports: false, contexts: [], attempts: [] }} />);
    expect(container.innerHTML).toBe("");
  });
});
