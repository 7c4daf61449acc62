import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from "react";

// A small History API router: the app has a handful of routes and needs no more than this.

const listeners = new Set<() => void>();

function notify(): void {
  for (const listener of listeners) listener();
}

window.addEventListener("popstate", notify);

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const snapshot = () => window.location.pathname + window.location.search;

/** The current path and query (the hash is the log viewer's business). */
export function useLocation(): { path: string; search: URLSearchParams } {
  const current = useSyncExternalStore(subscribe, snapshot);
  const queryStart = current.indexOf("?");
  return {
    path: queryStart < 0 ? current : current.slice(0, queryStart),
    search: new URLSearchParams(queryStart < 0 ? "" : current.slice(queryStart)),
  };
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  notify();
  if (!options.replace && !to.includes("#")) window.scrollTo?.(0, 0);
}

type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & { to: string };

/** An anchor that navigates inside the app; modified clicks (new tab, download) behave as for any link. */
export function Link({ to, onClick, ...rest }: LinkProps) {
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={handle} {...rest} />;
}

export interface RouteMatch {
  name: string;
  params: Record<string, string>;
}

/** Matches a path against patterns like "/runs/:id/jobs/:job"; parameters are URL-decoded. */
export function matchRoute(path: string, routes: Record<string, string>): RouteMatch | null {
  const parts = path.split("/").filter(Boolean);
  for (const [name, pattern] of Object.entries(routes)) {
    const expected = pattern.split("/").filter(Boolean);
    if (expected.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const matches = expected.every((segment, i) => {
      const actual = parts[i] ?? "";
      if (segment.startsWith(":")) {
        try {
          params[segment.slice(1)] = decodeURIComponent(actual);
        } catch {
          return false;
        }
        return true;
      }
      return segment === actual;
    });
    if (matches) return { name, params };
  }
  return null;
}
