// Answers index.html asked for before the app loaded, by API path; each is used once, by the first read of it.

declare global {
  interface Window {
    __pipelinerEarly?: Record<string, Promise<Response>>;
  }
}

export function takeEarly(path: string): Promise<Response> | null {
  const early = typeof window === "undefined" ? undefined : window.__pipelinerEarly;
  const response = early?.[path];
  if (!response || !early) return null;
  delete early[path];
  return response;
}
