import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { api } from "../api/client";
import { ApiError } from "../api/errors";
import { announceSessionChange, getToken, onSessionChangeElsewhere, setToken } from "../api/session";
import type { Me, Role } from "../api/types";

const roleOrder: Role[] = ["viewer", "developer", "release-manager", "admin"];

const nobody = (current: Me | null): Me => ({
  name: null,
  role: null,
  anonymousRead: current?.anonymousRead ?? false,
  sso: current?.sso ?? null,
});

export interface Session {
  me: Me | null;
  loading: boolean;
  signedIn: boolean;
  /** Signs in with a password; the server sets the session cookie. Throws the server's refusal. */
  signInWithPassword: (user: string, password: string, remember: boolean) => Promise<Me>;
  /** Checks the token with the server and keeps it (in this tab) when it is valid; throws the server's refusal otherwise. */
  signInWithToken: (token: string) => Promise<Me>;
  /**
   * Ends the session on the server (or forgets the token) in every tab; true when the browser is on its way to the
   * single sign-on provider to end its session too (it comes back to the sign-in page).
   */
  signOut: () => Promise<boolean>;
  /** The signed-in role includes this one. */
  can: (role: Role) => boolean;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [loading, setLoading] = useState(true);

  const refresh = useCallback(async () => {
    try {
      setMe(await api.me());
    } catch (error) {
      // A token the server no longer knows is dropped; the server still says whether anonymous reading is on.
      if (error instanceof ApiError && error.status === 401 && getToken()) {
        setToken(null);
        setMe(await api.me().catch(() => nobody(null)));
      } else {
        setMe(nobody(null));
      }
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void refresh();
    // Signed in or out in another tab: the cookie is shared, so ask the server who this tab is now.
    return onSessionChangeElsewhere(() => void refresh());
  }, [refresh]);

  const signInWithPassword = useCallback(async (user: string, password: string, remember: boolean) => {
    await api.signIn(user, password, remember);
    // A token pasted earlier in this tab would win over the new session: it goes.
    setToken(null);
    const value = await api.me();
    setMe(value);
    announceSessionChange();
    return value;
  }, []);

  const signInWithToken = useCallback(async (token: string) => {
    const value = await api.me(token);
    if (!value.role) throw new ApiError(401, "Unauthorized", "the server did not accept this token");
    setToken(token);
    setMe(value);
    return value;
  }, []);

  const signOut = useCallback(async () => {
    if (getToken()) {
      setToken(null);
    } else {
      const singleSignOn = me?.signIn === "oidc";
      await api.signOut();
      announceSessionChange();
      // The provider's session ends too (where it offers that); it sends the browser back to the sign-in page.
      if (singleSignOn) {
        window.location.assign(api.singleSignOutUrl());
        return true;
      }
    }
    setMe(await api.me().catch((): Me | null => null) ?? nobody(null));
    return false;
  }, [me]);

  const value = useMemo<Session>(
    () => ({
      me,
      loading,
      signedIn: Boolean(me?.role),
      signInWithPassword,
      signInWithToken,
      signOut,
      can: (role) => (me?.role ? roleOrder.indexOf(me.role) >= roleOrder.indexOf(role) : false),
    }),
    [me, loading, signInWithPassword, signInWithToken, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession needs a SessionProvider");
  return session;
}
