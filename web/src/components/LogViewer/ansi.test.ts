import { describe, expect, it } from "vitest";
import { parseAnsi, stripAnsi } from "./ansi";

describe("parseAnsi", () => {
  it("keeps plain text as one unstyled segment", () => {
    expect(parseAnsi("hello")).toEqual([{ text: "hello", style: {} }]);
  });

  it("applies colours until a reset", () => {
    expect(parseAnsi("\x1b[32mok\x1b[0m done")).toEqual([
      { text: "ok", style: { fg: 2 } },
      { text: " done", style: {} },
    ]);
  });

  it("combines bold, bright and background colours", () => {
    const [segment] = parseAnsi("\x1b[1;91;44mALERT");
    expect(segment).toEqual({ text: "ALERT", style: { bold: true, fg: 9, bg: 4 } });
  });

  it("reads 256-colour and RGB codes as exact colours", () => {
    expect(parseAnsi("\x1b[38;5;196mred")[0]?.style.fg).toBe("#ff0000");
    expect(parseAnsi("\x1b[38;5;244mgrey")[0]?.style.fg).toBe("#808080");
    expect(parseAnsi("\x1b[48;2;10;20;30mrgb")[0]?.style.bg).toBe("#0a141e");
    expect(parseAnsi("\x1b[38;5;3mlow")[0]?.style.fg).toBe(3);
  });

  it("turns single attributes off", () => {
    const segments = parseAnsi("\x1b[1;4mA\x1b[22mB\x1b[24mC\x1b[39mD");
    expect(segments.map((s) => s.style)).toEqual([
      { bold: true, underline: true },
      { bold: false, dim: false, underline: true },
      { bold: false, dim: false, underline: false },
      { bold: false, dim: false, underline: false },
    ]);
  });

  it("drops cursor and title sequences without showing them", () => {
    expect(parseAnsi("\x1b[2K\x1b[1Gprogress\x1b]0;title\x07!").map((s) => s.text).join("")).toBe("progress!");
  });
});

describe("stripAnsi", () => {
  it("removes every escape sequence", () => {
    expect(stripAnsi("\x1b[31merror\x1b[0m: \x1b[1mbad\x1b[m")).toBe("error: bad");
  });
});
