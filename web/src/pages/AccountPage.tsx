import { api } from "../api/client";
import { ChangePasswordForm } from "../components/Account/ChangePasswordForm";
import { Loading } from "../components/common/Notice";
import { AppShell } from "../components/Layout/AppShell";
import { useSession } from "../hooks/session";
import { Link } from "../routing/router";
import { paths } from "../routing/paths";

/** The signed-in user: who they are, how they signed in, and their own password. */
export function AccountPage() {
  const session = useSession();
  const me = session.me;
  let content;
  if (session.loading) content = <Loading what="Checking who you are" />;
  else if (!session.signedIn || !me) {
    content = (
      <p className="notice" role="status">
        You are not signed in. <Link to={paths.signIn(paths.account())}>Sign in</Link>
      </p>
    );
  } else {
    content = (
      <>
        <p>
          Signed in as <strong>{me.name}</strong> ({me.role}){me.session ? " with a session" : me.token ? ` with the token ${me.token}` : ""}.
        </p>
        <h2>Change password</h2>
        <ChangePasswordForm onChange={(current, next) => api.changePassword(current, next)} />
      </>
    );
  }

  return (
    <AppShell crumbs={[{ label: "Account" }]}>
      <h1>Account</h1>
      {content}
    </AppShell>
  );
}
