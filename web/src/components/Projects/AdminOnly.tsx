import type { ReactNode } from "react";
import { useSession } from "../../hooks/session";
import { Link } from "../../routing/router";
import { paths } from "../../routing/paths";
import { Loading } from "../common/Notice";

/** Shows its content to admins; anyone else is told what this is for and who may do it. */
export function AdminOnly({ what, children }: { what: string; children: ReactNode }) {
  const session = useSession();
  if (session.loading) return <Loading what="Checking who you are" />;
  if (session.can("admin")) return <>{children}</>;
  return (
    <div className="notice" role="status">
      <strong>Only admins {what}.</strong>{" "}
      {session.me?.role ? `You are signed in as ${session.me.name} (${session.me.role}).` : "You are not signed in."}{" "}
      {!session.me?.role && <Link to={paths.signIn(window.location.pathname)}>Sign in as an admin</Link>}
    </div>
  );
}
