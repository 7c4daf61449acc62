// The production JavaScript's size as a browser downloads it (gzip, level 9) — docs/performance.md's figure.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const assets = new URL("../dist/assets/", import.meta.url).pathname;
let raw = 0;
let gzip = 0;
for (const name of readdirSync(assets).filter((n) => n.endsWith(".js"))) {
  const bytes = readFileSync(join(assets, name));
  raw += bytes.length;
  gzip += gzipSync(bytes, { level: 9 }).length;
}
const kb = (n) => (n / 1024).toFixed(1);
console.log(JSON.stringify({ jsBytes: raw, jsGzipBytes: gzip }));
console.log(`JavaScript: ${kb(raw)} KiB, ${kb(gzip)} KiB gzipped (target: under 300 KB)`);
