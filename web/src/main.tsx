import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { SessionProvider } from "./hooks/session";
import "./styles/theme.css";
import "./styles/layout.css";
import "./styles/components.css";
import "./styles/log.css";
import "./styles/agents.css";
import "./styles/setup.css";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <SessionProvider>
      <App />
    </SessionProvider>
  </StrictMode>,
);
