import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { api } from "../api/client";
import { ApiError } from "../api/errors";
import { getToken, setToken } from "../api/session";
import type { Me, Role } from "../api/types";

const roleOrder: Role[] = ["viewer", "developer", "release-manager", "admin"];

export interface Session {
  me: Me | null;
  loading: boolean;
  signedIn: boolean;
  /** Checks the token with the server and keeps it when it is valid; throws the server's refusal otherwise. */
  signIn: (token: string) => Promise<Me>;
  signOut: () => void;
  /** The signed-in role includes this one. */
  can: (role: Role) => boolean;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    let active = true;
    api.me().then(
      (value) => active && (setMe(value), setLoading(false)),
      (error: unknown) => {
        if (!active) return;
        // A token the server no longer knows is dropped; the server still says whether anonymous reading is on.
        if (error instanceof ApiError && error.status === 401 && getToken()) {
          setToken(null);
          api.me().then(setMe, () => setMe({ name: null, role: null, anonymousRead: false })).finally(() => setLoading(false));
          return;
        }
        setMe({ name: null, role: null, anonymousRead: false });
        setLoading(false);
      },
    );
    return () => {
      active = false;
    };
  }, []);

  const signIn = useCallback(async (token: string) => {
    const value = await api.me(token);
    if (!value.role) throw new ApiError(401, "Unauthorized", "the server did not accept this token");
    setToken(token);
    setMe(value);
    return value;
  }, []);

  const signOut = useCallback(() => {
    setToken(null);
    setMe((current) => ({ name: null, role: null, anonymousRead: current?.anonymousRead ?? false }));
  }, []);

  const value = useMemo<Session>(
    () => ({
      me,
      loading,
      signedIn: Boolean(me?.role),
      signIn,
      signOut,
      can: (role) => (me?.role ? roleOrder.indexOf(me.role) >= roleOrder.indexOf(role) : false),
    }),
    [me, loading, signIn, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession needs a SessionProvider");
  return session;
}
