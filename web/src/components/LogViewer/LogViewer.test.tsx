import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LogLineEvent } from "../../api/types";
import { Emitter } from "../../hooks/emitter";
import { FakeServer, logOf } from "../../test/fakeServer";
import { LogViewer } from "./LogViewer";
import { rowHeight } from "./VirtualLog";

// jsdom lays nothing out: give elements a scroll position that sticks and a scroll height from their content.
const scrollTop = Object.getOwnPropertyDescriptor(Element.prototype, "scrollTop");
beforeAll(() => {
  Object.defineProperty(Element.prototype, "scrollTop", {
    configurable: true,
    get(this: Element & { _top?: number }) {
      return this._top ?? 0;
    },
    set(this: Element & { _top?: number }, value: number) {
      this._top = value;
    },
  });
  Object.defineProperty(Element.prototype, "scrollHeight", {
    configurable: true,
    get(this: Element) {
      const canvas = this.firstElementChild as HTMLElement | null;
      return canvas ? parseFloat(canvas.style.height) || 0 : 0;
    },
  });
});
afterAll(() => {
  if (scrollTop) Object.defineProperty(Element.prototype, "scrollTop", scrollTop);
});

const numbered = (count: number, text = (i: number) => `line ${i}`) => Array.from({ length: count }, (_, i) => text(i + 1));
const renderedLines = (container: HTMLElement) => [...container.querySelectorAll(".log-line")].map((row) => Number(row.getAttribute("data-line")));
const viewport = (container: HTMLElement) => container.querySelector(".log-viewport") as HTMLElement;

async function open(server: FakeServer, props: Partial<Parameters<typeof LogViewer>[0]> = {}) {
  const result = render(<LogViewer runId={1} job="build" live={false} client={server.client()} {...props} />);
  await screen.findByText(/\d lines?/);
  return result;
}

describe("LogViewer", () => {
  it("shows line numbers linking to #L anchors, and ANSI colours", async () => {
    const server = new FakeServer();
    server.setLog(1, "build", logOf(["$ make", "\x1b[31merror\x1b[0m: \x1b[1mstop\x1b[22m"]));
    const { container } = await open(server);

    const numbers = [...container.querySelectorAll("a.log-number")];
    expect(numbers.map((a) => [a.textContent, a.getAttribute("href")])).toEqual([
      ["1", "#L1"],
      ["2", "#L2"],
    ]);
    const red = container.querySelector(".ansi-fg-1");
    expect(red?.textContent).toBe("error");
    expect(container.querySelector(".ansi-bold")?.textContent).toBe("stop");
    // The timestamp prefix is not part of the shown text, and no escape character reaches the page.
    expect(container.querySelector('[data-line="2"] .log-text')?.textContent).toBe("error: stop");
  });

  it("renders only a window of a 100,000-line log", async () => {
    const server = new FakeServer();
    server.setLog(1, "build", logOf(numbered(100_000)));
    const { container } = await open(server);

    expect(screen.getByText("100,000 lines")).toBeTruthy();
    const lines = renderedLines(container);
    expect(lines[0]).toBe(1);
    expect(lines.length).toBeGreaterThan(20);
    expect(lines.length).toBeLessThan(100);
    expect(container.querySelector(".log-canvas")!.getAttribute("style")).toContain(`height: ${100_000 * rowHeight}px`);

    // Scrolling moves the window: the rows there are rendered, the first ones are gone.
    const element = viewport(container);
    await act(async () => {
      element.scrollTop = 50_000 * rowHeight;
      element.dispatchEvent(new Event("scroll"));
      await new Promise((resolve) => requestAnimationFrame(resolve));
    });
    const moved = renderedLines(container);
    expect(moved).toContain(50_001);
    expect(moved).not.toContain(1);
    expect(moved.length).toBeLessThan(100);
  });

  it("opens at the line of a #L link and highlights it", async () => {
    window.history.replaceState(null, "", "/runs/1/jobs/build#L4000");
    const server = new FakeServer();
    server.setLog(1, "build", logOf(numbered(10_000)));
    const { container } = await open(server);

    await waitFor(() => expect(container.querySelector(".log-line-selected")?.getAttribute("data-line")).toBe("4000"));
    expect(viewport(container).scrollTop).toBeGreaterThan(3900 * rowHeight);
  });

  it("selects a line (and a range with shift) and puts it in the address", async () => {
    window.history.replaceState(null, "", "/runs/1/jobs/build");
    const server = new FakeServer();
    server.setLog(1, "build", logOf(numbered(20)));
    const { container } = await open(server);

    fireEvent.click(screen.getByRole("link", { name: "Line 3" }));
    expect(window.location.hash).toBe("#L3");
    fireEvent.click(screen.getByRole("link", { name: "Line 6" }), { shiftKey: true });
    expect(window.location.hash).toBe("#L3-L6");
    expect([...container.querySelectorAll(".log-line-selected")].map((r) => r.getAttribute("data-line"))).toEqual(["3", "4", "5", "6"]);
  });

  it("follows a live log: an event of the job reads the new lines", async () => {
    const server = new FakeServer();
    server.setLog(1, "build", logOf(numbered(3)), { complete: false });
    const events = new Emitter<LogLineEvent>();
    const { container } = await open(server, { live: true, logLines: events });
    expect(screen.getByText("3 lines")).toBeTruthy();

    server.appendLog(1, "build", logOf(["fresh output"]), true);
    act(() => events.emit({ job: "build", attempt: 1, time: "", text: "fresh output" }));
    await screen.findByText("fresh output");
    expect(screen.getByText("4 lines")).toBeTruthy();
    // Follow mode keeps the end in view.
    const element = viewport(container);
    expect(element.scrollTop).toBe(element.scrollHeight);
  });

  it("searches the lines it holds", async () => {
    const server = new FakeServer();
    server.setLog(1, "build", logOf(numbered(300, (i) => (i % 100 === 0 ? `found NEEDLE ${i}` : `line ${i}`))));
    const { container } = await open(server);

    fireEvent.change(screen.getByRole("searchbox"), { target: { value: "needle" } });
    fireEvent.submit(screen.getByRole("search"));
    await screen.findByText("1 of 3");
    await waitFor(() => expect(container.querySelector(".log-line-current")?.getAttribute("data-line")).toBe("100"));
    fireEvent.click(screen.getByRole("button", { name: "Next match" }));
    await waitFor(() => expect(container.querySelector(".log-line-current")?.getAttribute("data-line")).toBe("200"));
    expect(container.querySelector(".log-line-current mark")?.textContent).toBe("NEEDLE");
    expect(server.requests.some((r) => r.includes("/log/search"))).toBe(false);
  });

  it("pages a log larger than a page, with true line numbers, and searches it on the server", async () => {
    const server = new FakeServer(4096);
    server.setLog(1, "build", logOf(numbered(2_000)));
    const { container } = render(<LogViewer runId={1} job="build" live={false} client={server.client()} pageBytes={4096} />);

    const pager = await screen.findByRole("navigation", { name: "Log pages" });
    expect(pager.textContent).toMatch(/Page 1 of \d+/);
    await screen.findByText(/lines on this page/);
    const firstPage = renderedLines(container);
    expect(firstPage[0]).toBe(1);
    const held = Number(/([\d,]+) lines on this page/.exec(container.textContent ?? "")![1]!.replace(/,/g, ""));
    expect(held).toBeLessThan(200);

    fireEvent.click(screen.getByRole("button", { name: "Next" }));
    await waitFor(() => expect(renderedLines(container)[0]).toBe(held + 1));
    expect(screen.getByRole("navigation", { name: "Log pages" }).textContent).toMatch(/Page 2 of/);

    fireEvent.change(screen.getByRole("searchbox"), { target: { value: "line 1500" } });
    fireEvent.submit(screen.getByRole("search"));
    await screen.findByText("1 of 1");
    expect(server.requests.some((r) => /\/log\/search\?.*q=line%201500/.test(r))).toBe(true);
    await waitFor(() => expect(container.querySelector(".log-line-current")?.getAttribute("data-line")).toBe("1500"));
    // Every read of the log stayed within one page.
    const offsets = server.requests.filter((r) => /\/log\?/.test(r)).length;
    expect(offsets).toBeLessThan(10);
  });

  it("says when the job has not started", async () => {
    const server = new FakeServer();
    render(<LogViewer runId={1} job="later" live={false} client={server.client()} />);
    await screen.findByText("This job has not started yet.");
  });
});
