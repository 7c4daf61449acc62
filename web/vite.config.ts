import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// Node's process, without pulling in all of @types/node for one line.
declare const process: { env: Record<string, string | undefined> };

// The dev server proxies the API to a Pipeliner server (PIPELINER_URL, default http://127.0.0.1:5231).
const server = process.env.PIPELINER_URL ?? "http://127.0.0.1:5231";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    // Hashed file names under assets/: the server caches them for a year.
    assetsDir: "assets",
    sourcemap: false,
    target: "es2022",
  },
  server: {
    proxy: { "/api": { target: server, changeOrigin: false } },
  },
  test: {
    environment: "jsdom",
    setupFiles: ["src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    testTimeout: 60_000,
  },
});
