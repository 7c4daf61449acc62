import { useCallback, useState } from "react";

/** A button's action: which one is busy, and the error of the last one. */
export function useAction() {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const run = useCallback(async (name: string, action: () => Promise<unknown>) => {
    setBusy(name);
    setError(null);
    try {
      await action();
      return true;
    } catch (reason) {
      setError(reason instanceof Error ? reason : new Error(String(reason)));
      return false;
    } finally {
      setBusy(null);
    }
  }, []);
  return { busy, error, run };
}
