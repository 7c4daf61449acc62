import type { ReactNode } from "react";
import { ApiError } from "../../api/errors";
import { Link } from "../../routing/router";
import { paths } from "../../routing/paths";

export function Loading({ what = "Loading" }: { what?: string }) {
  return (
    <p className="notice loading" role="status">
      {what}…
    </p>
  );
}

/** An error as people can act on it: sign in when the server wants a token, the server's words otherwise. */
export function ErrorNotice({ error, children }: { error: Error; children?: ReactNode }) {
  const unauthorized = error instanceof ApiError && error.isUnauthorized;
  return (
    <div className="notice error" role="alert">
      <strong>{unauthorized ? "You need to sign in to see this." : "Something went wrong."}</strong> {error.message}{" "}
      {unauthorized && <Link to={paths.signIn(window.location.pathname + window.location.search)}>Sign in</Link>}
      {children}
    </div>
  );
}
