// ANSI SGR (colour and style) sequences to styled text segments. Each log line is parsed on its own (state does
// not carry from one line to the next), so any line can be rendered without reading the lines before it — which is
// what lets the viewer render only the visible window of a huge log.

export interface AnsiStyle {
  /** 0–15: a palette colour the theme defines (CSS classes); a string: an exact colour from 256-colour or RGB codes. */
  fg?: number | string;
  bg?: number | string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
  inverse?: boolean;
  strike?: boolean;
}

export interface AnsiSegment {
  text: string;
  style: AnsiStyle;
}

// CSI sequences (ESC [ ... letter), OSC sequences (ESC ] ... BEL or ESC \), and two-character escapes.
// eslint-disable-next-line no-control-regex
const escapePattern = /\x1b\[([0-9;:?<=>]*)[ -/]*([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?/g;

/** The text without any escape sequence. */
export function stripAnsi(text: string): string {
  return text.indexOf("\x1b") < 0 ? text : text.replace(escapePattern, "");
}

export function parseAnsi(text: string): AnsiSegment[] {
  if (text.indexOf("\x1b") < 0) return [{ text, style: {} }];
  const segments: AnsiSegment[] = [];
  let style: AnsiStyle = {};
  let last = 0;
  escapePattern.lastIndex = 0;
  for (let match = escapePattern.exec(text); match; match = escapePattern.exec(text)) {
    if (match.index > last) segments.push({ text: text.slice(last, match.index), style });
    last = match.index + match[0].length;
    if (match[2] === "m") style = applySgr(style, match[1] ?? "");
  }
  if (last < text.length) segments.push({ text: text.slice(last), style });
  return segments;
}

function applySgr(current: AnsiStyle, parameters: string): AnsiStyle {
  const codes = parameters === "" ? [0] : parameters.split(/[;:]/).map((p) => (p === "" ? 0 : Number(p)));
  let style: AnsiStyle = { ...current };
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i] ?? 0;
    if (code === 0) style = {};
    else if (code === 1) style.bold = true;
    else if (code === 2) style.dim = true;
    else if (code === 3) style.italic = true;
    else if (code === 4) style.underline = true;
    else if (code === 7) style.inverse = true;
    else if (code === 9) style.strike = true;
    else if (code === 21 || code === 22) style.bold = style.dim = false;
    else if (code === 23) style.italic = false;
    else if (code === 24) style.underline = false;
    else if (code === 27) style.inverse = false;
    else if (code === 29) style.strike = false;
    else if (code >= 30 && code <= 37) style.fg = code - 30;
    else if (code === 39) delete style.fg;
    else if (code >= 40 && code <= 47) style.bg = code - 40;
    else if (code === 49) delete style.bg;
    else if (code >= 90 && code <= 97) style.fg = code - 90 + 8;
    else if (code >= 100 && code <= 107) style.bg = code - 100 + 8;
    else if (code === 38 || code === 48) {
      const [colour, used] = extendedColour(codes, i + 1);
      if (colour !== undefined) {
        if (code === 38) style.fg = colour;
        else style.bg = colour;
      }
      i += used;
    }
  }
  return style;
}

/** 38;5;n and 38;2;r;g;b (and the same for 48): the colour and how many codes it used after the 38/48. */
function extendedColour(codes: number[], at: number): [number | string | undefined, number] {
  const kind = codes[at];
  if (kind === 5) {
    const index = codes[at + 1];
    if (index === undefined) return [undefined, 1];
    return [index < 16 ? index : xterm256(index), 2];
  }
  if (kind === 2) {
    const [r, g, b] = [codes[at + 1], codes[at + 2], codes[at + 3]];
    if (r === undefined || g === undefined || b === undefined) return [undefined, codes.length];
    return [rgb(r, g, b), 4];
  }
  return [undefined, 0];
}

function xterm256(index: number): string {
  if (index >= 232) {
    const level = 8 + (Math.min(index, 255) - 232) * 10;
    return rgb(level, level, level);
  }
  const cube = index - 16;
  const steps = [0, 95, 135, 175, 215, 255];
  return rgb(steps[Math.floor(cube / 36) % 6] ?? 0, steps[Math.floor(cube / 6) % 6] ?? 0, steps[cube % 6] ?? 0);
}

function rgb(r: number, g: number, b: number): string {
  const hex = (v: number) => Math.max(0, Math.min(255, v)).toString(16).padStart(2, "0");
  return `#${hex(r)}${hex(g)}${hex(b)}`;
}
