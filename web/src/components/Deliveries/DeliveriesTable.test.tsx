import { fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { Delivery } from "../../api/types";
import { delivery } from "../../test/deliveries";
import { DeliveriesTable } from "./DeliveriesTable";

const now = Date.parse("2026-12-04T10:00:00Z");

const deliveries: Delivery[] = [
  delivery(now, 1, { outcome: "run", runId: 41, runNumber: 7 }),
  delivery(now, 2, { outcome: "not_triggered", message: "on.push.branches: branch 'experiment/x' matches none of main, develop, feature/*" }),
  delivery(now, 3, { outcome: "retrying", message: "cannot read the repository: failed to resolve address", nextAttemptAt: "2026-12-04T10:02:00Z", redeliverable: false }),
  delivery(now, 4, { outcome: "invalid_signature", message: "the signature does not match (3 deliveries in a row)", ref: null, commit: null, redeliverable: false }),
  delivery(now, 5, { outcome: "ignored", event: "ping", message: "a ping", ref: null, commit: null, redeliverable: false }),
];

describe("DeliveriesTable", () => {
  it("shows what became of each delivery and why, with a link to the run it made", () => {
    render(<DeliveriesTable project="shop" deliveries={deliveries} now={now} busy={null} />);

    const rows = screen.getAllByRole("row").slice(1);
    expect(rows.map((row) => row.querySelector(".delivery-outcome")!.textContent)).toEqual([
      "Run", "Not triggered", "Retrying", "Invalid signature", "Ignored",
    ]);
    expect(within(rows[0]!).getByRole("link", { name: "Run #7" }).getAttribute("href")).toBe("/projects/shop/runs/7");
    expect(rows[1]!.textContent).toContain("matches none of main, develop, feature/*");
    expect(rows[2]!.textContent).toContain("Next attempt 2026-12-04 10:02:00 UTC");
    expect(rows[3]!.querySelector(".outcome-failure")).not.toBeNull();
    expect(rows[0]!.textContent).toContain("01234567");
    expect(rows[4]!.textContent).toContain("github · ping");
    expect(screen.queryByRole("button")).toBeNull();
  });

  it("offers Redeliver only for deliveries whose event was kept, to whoever may redeliver", () => {
    const onRedeliver = vi.fn();
    render(<DeliveriesTable project="shop" deliveries={deliveries} now={now} busy={null} onRedeliver={onRedeliver} />);

    const buttons = screen.getAllByRole("button");
    expect(buttons.map((button) => button.getAttribute("aria-label"))).toEqual(["Redeliver delivery 1", "Redeliver delivery 2"]);
    fireEvent.click(buttons[1]!);
    expect(onRedeliver).toHaveBeenCalledWith(deliveries[1]);
  });

  it("says where deliveries come from when there are none", () => {
    render(<DeliveriesTable project="shop" deliveries={[]} now={now} busy={null} />);

    expect(screen.getByText(/No webhook delivery yet/)).toBeTruthy();
  });
});
