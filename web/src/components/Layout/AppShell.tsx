import type { ReactNode } from "react";
import { useSession } from "../../hooks/session";
import { Link, navigate } from "../../routing/router";
import { paths } from "../../routing/paths";
import { SearchBox } from "../LogSearch/SearchBox";

export interface Crumb {
  label: string;
  to?: string;
}

/** The header (home, where you are, who you are) around every page. */
export function AppShell({ crumbs = [], children }: { crumbs?: Crumb[]; children: ReactNode }) {
  const session = useSession();
  const me = session.me;
  return (
    <>
      <header className="app-header">
        <Link to={paths.projects()} className="brand" aria-label="Pipeliner: all projects">
          <img src="/favicon.svg" alt="" width="22" height="22" /> Pipeliner
        </Link>
        <nav className="crumbs" aria-label="Breadcrumb">
          {crumbs.map((crumb, i) => (
            <span key={i} className="crumb">
              {crumb.to ? <Link to={crumb.to}>{crumb.label}</Link> : <span aria-current="page">{crumb.label}</span>}
            </span>
          ))}
        </nav>
        <SearchBox />
        <div className="who">
          {(session.signedIn || session.me?.anonymousRead) && (
            <Link to={paths.agents()} className="admin-link" aria-current={window.location.pathname === paths.agents() ? "page" : undefined}>
              Agents
            </Link>
          )}
          {session.can("admin") && (
            <Link
              to={paths.adminUsers()}
              className="admin-link"
              aria-current={window.location.pathname === paths.adminUsers() ? "page" : undefined}
            >
              Users and tokens
            </Link>
          )}
          {session.signedIn && me ? (
            <>
              <Link
                to={paths.account()}
                className="who-name"
                title={`Signed in as ${me.name} (${me.role})${me.token ? `, token ${me.token}` : ""}`}
              >
                {me.name} <span className="role">{me.role}</span>
              </Link>
              <button
                type="button"
                onClick={() =>
                  void session.signOut().then(
                    (leaving) => leaving || me.anonymousRead || navigate(paths.signIn()),
                    () => me.anonymousRead || navigate(paths.signIn()),
                  )
                }
              >
                Sign out
              </button>
            </>
          ) : (
            <>
              {me?.anonymousRead && <span className="role">read-only</span>}
              {window.location.pathname !== paths.signIn() && (
                <Link className="button" to={paths.signIn(window.location.pathname + window.location.search + window.location.hash)}>
                  Sign in
                </Link>
              )}
            </>
          )}
        </div>
      </header>
      <main className="page">{children}</main>
    </>
  );
}
