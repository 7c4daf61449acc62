import { cleanup, configure } from "@testing-library/react";
import { afterEach } from "vitest";

// Generous waits: the suite also runs on busy CI machines, next to a browser and a server.
configure({ asyncUtilTimeout: 15_000 });

afterEach(() => {
  cleanup();
  sessionStorage.clear();
  window.history.replaceState(null, "", "/");
});

// Node's BroadcastChannel reaches every test file's worker in the process: one file's sign-in must not make another
// file's app ask its server again. Tabs of a real browser are covered by the end-to-end tests.
Reflect.deleteProperty(globalThis, "BroadcastChannel");
