import { useId, useState, type FormEvent } from "react";
import { api } from "../api/client";
import { Field, fieldErrorsOf, FormError } from "../components/common/Field";
import { AppShell } from "../components/Layout/AppShell";
import { useAction } from "../hooks/useAction";
import { useSession } from "../hooks/session";
import { Link, navigate, useLocation } from "../routing/router";
import { paths } from "../routing/paths";

/**
 * Sign in with a user name and password (a session cookie; "keep me signed in" makes it last days), with single
 * sign-on when the server has it, or by pasting an API token (kept in this tab only, for automation users). Then
 * back to the page that asked, its log line anchor included.
 */
export function SignInPage() {
  const session = useSession();
  const { search } = useLocation();
  const next = safeNext(search.get("next"));
  const [remember, setRemember] = useState(false);
  const sso = session.me?.sso;

  return (
    <AppShell crumbs={[{ label: "Sign in" }]}>
      <div className="sign-in">
        <h1>Sign in</h1>
        {search.get("error") && (
          <p className="notice error" role="alert">
            {search.get("error")}
          </p>
        )}
        <PasswordForm next={next} remember={remember} onRemember={setRemember} />
        {sso && (
          <a className="button sso" href={api.singleSignOnUrl(next, remember)}>
            Sign in with {sso}
          </a>
        )}
        <details className="token-sign-in">
          <summary>Use an API token instead</summary>
          <TokenForm next={next} />
        </details>
        {session.me?.anonymousRead && (
          <p>
            Or <Link to={next}>browse read-only</Link> without signing in.
          </p>
        )}
      </div>
    </AppShell>
  );
}

function PasswordForm({ next, remember, onRemember }: { next: string; remember: boolean; onRemember: (value: boolean) => void }) {
  const id = useId();
  const session = useSession();
  const [user, setUser] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, run } = useAction();
  const errors = fieldErrorsOf(error);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await run("sign-in", () => session.signInWithPassword(user.trim(), password, remember))) navigate(next, { replace: true });
  };

  return (
    <form aria-label="Sign in with a password" onSubmit={(event) => void submit(event)}>
      <Field id={`${id}-user`} label="User" errors={errors.user}>
        <input id={`${id}-user`} name="username" autoComplete="username" value={user} onChange={(e) => setUser(e.target.value)} required />
      </Field>
      <Field id={`${id}-password`} label="Password" errors={errors.password}>
        <input
          id={`${id}-password`}
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
        />
      </Field>
      <label className="check">
        <input type="checkbox" checked={remember} onChange={(e) => onRemember(e.target.checked)} /> Keep me signed in
      </label>
      <FormError error={error} />
      <button type="submit" className="primary" disabled={busy !== null || !user.trim() || !password}>
        {busy ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}

function TokenForm({ next }: { next: string }) {
  const id = useId();
  const session = useSession();
  const [token, setToken] = useState("");
  const { busy, error, run } = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await run("token", () => session.signInWithToken(token.trim()))) navigate(next, { replace: true });
  };

  return (
    <form aria-label="Sign in with a token" onSubmit={(event) => void submit(event)}>
      <p className="muted">
        Paste an API token (it starts with <code>plr_</code>). It stays in this browser tab only and is forgotten when the tab
        closes.
      </p>
      <Field id={`${id}-token`} label="Token">
        <input
          id={`${id}-token`}
          type="password"
          name="token"
          autoComplete="off"
          spellCheck={false}
          value={token}
          onChange={(e) => setToken(e.target.value)}
          required
        />
      </Field>
      <FormError error={error} />
      <button type="submit" disabled={busy !== null || !token.trim()}>
        {busy ? "Checking…" : "Sign in with the token"}
      </button>
    </form>
  );
}

/** Only a path of this site: a link must not send a signed-in person elsewhere. */
export function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/sign-in") && !next.includes("\\")
    ? next
    : paths.projects();
}
