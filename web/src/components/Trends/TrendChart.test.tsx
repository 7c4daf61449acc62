import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { TrendChart } from "./TrendChart";

const format = (value: number) => `${value}s`;

describe("TrendChart", () => {
  it("draws a dot per measured point, scaled to the largest, with the shown attempt filled", () => {
    const { container } = render(
      <TrendChart
        label="Duration"
        format={format}
        values={[
          { key: "1", value: 10, title: "#1" },
          { key: "2", value: null, title: "#2" },
          { key: "3", value: 40, title: "#3", current: true },
        ]}
      />,
    );

    const dots = [...container.querySelectorAll("circle")];
    expect(dots).toHaveLength(2);
    expect(dots.map((d) => d.getAttribute("class"))).toEqual(["trend-dot", "trend-dot current"]);
    // The largest value reaches the top (the padding), a quarter of it stays near the bottom.
    expect(Number(dots[1]!.getAttribute("cy"))).toBeCloseTo(3);
    expect(Number(dots[0]!.getAttribute("cy"))).toBeGreaterThan(25);
    expect(container.querySelector("polyline")?.getAttribute("points")?.split(" ")).toHaveLength(2);
    expect(screen.getByRole("img", { name: "Duration over the last 3 attempts: latest 40s, highest 40s" })).toBeTruthy();
    expect(dots[1]!.textContent).toBe("#3: 40s");
  });

  it("shows the limit and how much of it the highest used, and marks a measure near its limit", () => {
    const values = (...measured: number[]) => measured.map((value, i) => ({ key: String(i), value, title: `#${i + 1}` }));
    const { container, rerender } = render(<TrendChart label="Peak memory" format={format} limit={100} values={values(40, 50)} />);

    expect(container.querySelector(".trend-limit")?.textContent).toBe("of 100s · 50 %");
    expect(container.querySelector("figure")?.className).toBe("trend");
    expect(screen.getByRole("img", { name: "Peak memory over the last 2 attempts: latest 50s, highest 50s, limit 100s (50 % at the highest)" })).toBeTruthy();

    rerender(<TrendChart label="Peak memory" format={format} limit={100} values={values(70, 85, 60)} />);

    expect(container.querySelector("figure")?.className).toBe("trend near-limit");
    expect(screen.getByRole("img", { name: /highest 85s, limit 100s \(85 % at the highest\), near the limit$/ })).toBeTruthy();
  });

  it("shows no limit when none is known", () => {
    const { container } = render(<TrendChart label="CPU time" format={format} limit={null} values={[{ key: "1", value: 5, title: "#1" }]} />);

    expect(container.querySelector(".trend-limit")).toBeNull();
    expect(screen.getByRole("img", { name: "CPU time over the last 1 attempts: latest 5s, highest 5s" })).toBeTruthy();
  });

  it("says not measured when no point has a value", () => {
    const { container } = render(<TrendChart label="CPU time" format={format} values={[{ key: "1", value: null, title: "#1" }]} />);

    expect(screen.getByRole("img", { name: "CPU time: not measured" })).toBeTruthy();
    expect(container.querySelector(".trend-latest")?.textContent).toBe("—");
    expect(container.querySelectorAll("circle")).toHaveLength(0);
  });
});
