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

  it("says not measured when no point has a value", () => {
    const { container } = render(<TrendChart label="CPU time" format={format} values={[{ key: "1", value: null, title: "#1" }]} />);

    expect(screen.getByRole("img", { name: "CPU time: not measured" })).toBeTruthy();
    expect(container.querySelector(".trend-latest")?.textContent).toBe("—");
    expect(container.querySelectorAll("circle")).toHaveLength(0);
  });
});
