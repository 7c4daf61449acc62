import { useState } from "react";
import { api } from "../api/client";
import type { CreatedToken, CreateTokenInput, CreateUserInput, TokenInfo, UpdateUserInput } from "../api/types";
import { AddUserForm } from "../components/Admin/AddUserForm";
import { CreatedTokenPanel } from "../components/Admin/CreatedTokenPanel";
import { NewTokenForm } from "../components/Admin/NewTokenForm";
import { TokensTable } from "../components/Admin/TokensTable";
import { UsersTable } from "../components/Admin/UsersTable";
import { ErrorNotice, Loading } from "../components/common/Notice";
import { AppShell } from "../components/Layout/AppShell";
import { useSession } from "../hooks/session";
import { useAsync } from "../hooks/useAsync";
import { useNow } from "../hooks/useNow";
import { Link } from "../routing/router";
import { paths } from "../routing/paths";

/** Admins manage users (role, disabled) and their API tokens; anyone else is told this page is for admins. */
export function AdminUsersPage() {
  const session = useSession();
  let content;
  if (session.loading) content = <Loading what="Checking who you are" />;
  else if (!session.can("admin")) {
    content = (
      <div className="notice" role="status">
        <strong>Only admins manage users and tokens.</strong>{" "}
        {session.me?.role ? `You are signed in as ${session.me.name} (${session.me.role}).` : "You are not signed in."}{" "}
        {session.me?.role ? (
          <Link to={paths.projects()}>See all projects</Link>
        ) : (
          <Link to={paths.signIn(paths.adminUsers())}>Sign in as an admin</Link>
        )}
      </div>
    );
  } else content = <UsersAndTokens />;

  return (
    <AppShell crumbs={[{ label: "Users and tokens" }]}>
      <h1>Users and tokens</h1>
      {content}
    </AppShell>
  );
}

function UsersAndTokens() {
  const users = useAsync(() => api.users(), []);
  const tokens = useAsync(() => api.tokens(), []);
  const now = useNow(true, 30_000);
  // The one place the new token lives, until the panel is dismissed.
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const disabledUsers = new Set(users.data?.filter((user) => user.disabledAt).map((user) => user.name));
  const reload = () => {
    users.reload();
    tokens.reload();
  };

  const createUser = async (user: CreateUserInput) => {
    await api.createUser(user);
    users.reload();
  };
  const updateUser = async (name: string, change: UpdateUserInput) => {
    await api.updateUser(name, change);
    reload();
  };
  const createToken = async (token: CreateTokenInput) => {
    setCreated(await api.createToken(token));
    reload();
  };
  const revokeToken = async (token: TokenInfo) => {
    await api.revokeToken(token.id);
    reload();
  };

  return (
    <div className="admin">
      <section aria-labelledby="users-heading">
        <h2 id="users-heading">Users</h2>
        {users.error && <ErrorNotice error={users.error} />}
        {!users.data && !users.error && <Loading what="Loading users" />}
        {users.data && <UsersTable users={users.data} onUpdate={updateUser} />}
        <h3>Add a user</h3>
        <AddUserForm onCreate={createUser} />
      </section>
      <section aria-labelledby="tokens-heading">
        <h2 id="tokens-heading">Tokens</h2>
        {created && <CreatedTokenPanel created={created} onDismiss={() => setCreated(null)} />}
        {tokens.error && <ErrorNotice error={tokens.error} />}
        {!tokens.data && !tokens.error && <Loading what="Loading tokens" />}
        {tokens.data && <TokensTable tokens={tokens.data} now={now} disabledUsers={disabledUsers} onRevoke={revokeToken} />}
        <h3>New token</h3>
        {users.data && <NewTokenForm users={users.data} onCreate={createToken} />}
      </section>
    </div>
  );
}
