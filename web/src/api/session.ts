// A pasted API token lives in sessionStorage: it is gone when the tab closes and never sent to other sites. A
// password or single sign-on gives a session cookie instead, which the browser keeps and sends by itself (HttpOnly:
// this code never sees it); its anti-forgery proof is the readable pipeliner_csrf cookie, sent back as a header.

const key = "pipeliner.token";
const listeners = new Set<() => void>();

export function getToken(): string | null {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(key, token);
  else sessionStorage.removeItem(key);
  for (const listener of listeners) listener();
}

export function onTokenChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export const csrfCookie = "pipeliner_csrf";
export const csrfHeader = "X-Pipeliner-Csrf";

/** The session's anti-forgery proof, read when a request is made (so a sign-in in another tab is seen at once). */
export function getCsrfToken(): string | null {
  if (typeof document === "undefined") return null;
  for (const part of document.cookie.split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === csrfCookie) return decodeURIComponent(value.join("="));
  }
  return null;
}

const channel = typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel("pipeliner.session");

/** Tells the app's other tabs that this browser signed in or out, so that they ask the server again. */
export function announceSessionChange(): void {
  channel?.postMessage("changed");
}

export function onSessionChangeElsewhere(listener: () => void): () => void {
  if (!channel) return () => undefined;
  channel.addEventListener("message", listener);
  return () => channel.removeEventListener("message", listener);
}
