import { useState } from "react";
import { roles, type Role, type UpdateUserInput, type User } from "../../api/types";
import { formatTime } from "../common/format";
import { fieldErrorsOf } from "../common/Field";
import { SetPasswordForm } from "./SetPasswordForm";

interface UsersTableProps {
  users: User[];
  onUpdate: (name: string, change: UpdateUserInput) => Promise<unknown>;
}

/** Every user with their role, state and tokens; admins change the role or disable and enable them in place. */
export function UsersTable({ users, onUpdate }: UsersTableProps) {
  if (users.length === 0) return <p className="notice hint">No user yet.</p>;
  return (
    <table className="admin-table" aria-label="Users">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Role</th>
          <th scope="col">Created</th>
          <th scope="col">State</th>
          <th scope="col">Tokens</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {users.map((user) => (
          <UserRow key={user.name} user={user} onUpdate={onUpdate} />
        ))}
      </tbody>
    </table>
  );
}

function UserRow({ user, onUpdate }: { user: User; onUpdate: UsersTableProps["onUpdate"] }) {
  const [role, setRole] = useState<Role>(user.role);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const roleErrors = fieldErrorsOf(error).role;
  const selectId = `user-role-${user.name}`;

  const update = async (change: UpdateUserInput) => {
    setBusy(true);
    setError(null);
    try {
      await onUpdate(user.name, change);
    } catch (reason) {
      setError(reason instanceof Error ? reason : new Error(String(reason)));
      setRole(user.role);
    } finally {
      setBusy(false);
    }
  };

  return (
    <tr aria-label={`User ${user.name}`} data-disabled={user.disabledAt ? "true" : "false"}>
      <th scope="row" data-label="Name">
        <span>{user.name}</span>
      </th>
      <td data-label="Role">
        <span className="role-cell">
          <label htmlFor={selectId} className="visually-hidden">
            Role of {user.name}
          </label>
          <select id={selectId} value={role} onChange={(e) => setRole(e.target.value as Role)} disabled={busy}>
            {roles.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
          <button type="button" disabled={busy || role === user.role} onClick={() => void update({ role })}>
            Change role
          </button>
        </span>
        {roleErrors?.map((message) => (
          <small key={message} className="field-error" role="alert">
            {message}
          </small>
        ))}
      </td>
      <td data-label="Created">
        <span>{formatTime(user.createdAt)}</span>
      </td>
      <td data-label="State">
        <span>
          {user.disabledAt ? (
            <span className="state-disabled">Disabled since {formatTime(user.disabledAt)}</span>
          ) : (
            <span className="state-active">Active</span>
          )}
          <span className="sign-in-methods">{signInMethods(user)}</span>
        </span>
      </td>
      <td data-label="Tokens">
        <span>
          {user.disabledAt ? `all refused while disabled (${user.activeTokens} valid of ${user.tokens})` : `${user.activeTokens} working of ${user.tokens}`}
        </span>
      </td>
      <td data-label="Actions">
        <span>
          {user.disabledAt ? (
            <button type="button" disabled={busy} onClick={() => void update({ disabled: false })}>
              Enable {user.name}
            </button>
          ) : (
            <button type="button" className="danger" disabled={busy} onClick={() => void update({ disabled: true })}>
              Disable {user.name}
            </button>
          )}
        </span>
        {error && !roleErrors && (
          <small className="field-error" role="alert">
            {error.message}
          </small>
        )}
        <SetPasswordForm user={user.name} hasPassword={Boolean(user.hasPassword)} onSet={(password) => onUpdate(user.name, { password })} />
      </td>
    </tr>
  );
}

/** How the user can sign in: password, single sign-on, or only with tokens. */
function signInMethods(user: User): string {
  const methods = [user.hasPassword && "password", user.sso && "single sign-on"].filter(Boolean);
  return methods.length ? `signs in with ${methods.join(" or ")}` : "tokens only";
}
