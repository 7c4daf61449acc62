import { cleanup, configure } from "@testing-library/react";
import { afterEach } from "vitest";

// Generous waits: the suite also runs on busy CI machines, next to a browser and a server.
configure({ asyncUtilTimeout: 15_000 });

afterEach(() => {
  cleanup();
  sessionStorage.clear();
  window.history.replaceState(null, "", "/");
});
