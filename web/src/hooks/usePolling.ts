import { useEffect } from "react";

/** Calls refresh every intervalMs while active (lists with unfinished runs). */
export function usePolling(active: boolean, refresh: () => void, intervalMs = 5000): void {
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(refresh, intervalMs);
    return () => clearInterval(timer);
  }, [active, refresh, intervalMs]);
}
