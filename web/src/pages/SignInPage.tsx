import { useState, type FormEvent } from "react";
import { AppShell } from "../components/Layout/AppShell";
import { useSession } from "../hooks/session";
import { Link, navigate, useLocation } from "../routing/router";
import { paths } from "../routing/paths";

/** Sign in with an API token; it is kept in this tab's session storage only. */
export function SignInPage() {
  const session = useSession();
  const { search } = useLocation();
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const next = safeNext(search.get("next"));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await session.signIn(token.trim());
      navigate(next, { replace: true });
    } catch (reason) {
      setError(reason instanceof Error ? reason.message : String(reason));
    } finally {
      setBusy(false);
    }
  };

  return (
    <AppShell crumbs={[{ label: "Sign in" }]}>
      <form className="sign-in" onSubmit={submit}>
        <h1>Sign in</h1>
        <p className="muted">
          Paste an API token (it starts with <code>plr_</code>). It stays in this browser tab only and is forgotten when the
          tab closes.
        </p>
        <label>
          Token
          <input
            type="password"
            name="token"
            autoComplete="off"
            spellCheck={false}
            value={token}
            onChange={(e) => setToken(e.target.value)}
            required
          />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy || !token.trim()}>
          {busy ? "Checking…" : "Sign in"}
        </button>
        {session.me?.anonymousRead && (
          <p>
            Or <Link to={next}>browse read-only</Link> without a token.
          </p>
        )}
      </form>
    </AppShell>
  );
}

/** Only a path of this site: a link must not send a signed-in person elsewhere. */
function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/sign-in") ? next : paths.projects();
}
