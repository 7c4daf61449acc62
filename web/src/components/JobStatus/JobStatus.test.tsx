import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { runStatuses } from "../../api/types";
import { JobStatus } from "./JobStatus";
import { statusLabels } from "./statusLabels";

describe("JobStatus", () => {
  it.each(runStatuses)("shows %s as an icon and a word", (status) => {
    const { container } = render(<JobStatus status={status} />);
    expect(container.querySelector("svg.status-icon")).not.toBeNull();
    expect(screen.getByText(statusLabels[status]).textContent).toBe(statusLabels[status]);
  });

  it("gives every status its own icon shape, so colour is never the only difference", () => {
    const shapes = runStatuses.map((status) => {
      const { container, unmount } = render(<JobStatus status={status} />);
      const icon = container.querySelector("svg")!.innerHTML;
      unmount();
      return `${status === "queued" ? "pending" : status}:${icon}`;
    });
    const distinct = new Set(shapes.map((shape) => shape.slice(shape.indexOf(":") + 1)));
    // queued and pending share a shape (both wait); every other status differs.
    expect(distinct.size).toBe(runStatuses.length - 1);
  });

  it("takes a more precise label", () => {
    render(<JobStatus status="waiting" label="Waiting for approval" />);
    expect(screen.getByText("Waiting for approval")).toBeTruthy();
    expect(screen.getByTitle("Waiting for approval").getAttribute("data-status")).toBe("waiting");
  });
});
