import { useId, useState, type FormEvent } from "react";
import { useAction } from "../../hooks/useAction";
import { roles, type CreateTokenInput, type Role, type User } from "../../api/types";
import { Field, fieldErrorsOf, FormError } from "../common/Field";

/** The end of the chosen day, in the browser's time zone: a token "expiring on" a date works through that day. */
export function endOfDay(date: string): string {
  return new Date(`${date}T23:59:59.999`).toISOString();
}

/** Gives a user a token: what it is for, optionally a lower role than the user's, and optionally an expiry date. */
export function NewTokenForm({ users, onCreate }: { users: User[]; onCreate: (token: CreateTokenInput) => Promise<unknown> }) {
  const id = useId();
  const enabled = users.filter((user) => !user.disabledAt);
  const [user, setUser] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role | "">("");
  const [expires, setExpires] = useState("");
  const { busy, error, run } = useAction();
  const saving = busy !== null;
  const errors = fieldErrorsOf(error);
  const chosen = user || enabled[0]?.name || "";

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const token = { user: chosen, name: name.trim(), ...(role ? { role } : {}), ...(expires ? { expiresAt: endOfDay(expires) } : {}) };
    const created = await run("create", () => onCreate(token));
    if (!created) return;
    setName("");
    setRole("");
    setExpires("");
  };

  return (
    <form className="admin-form" aria-label="New token" onSubmit={(event) => void submit(event)}>
      <Field id={`${id}-user`} label="User" hint="disabled users get no token" errors={errors.user}>
        <select id={`${id}-user`} value={chosen} onChange={(e) => setUser(e.target.value)}>
          {enabled.map((candidate) => (
            <option key={candidate.name} value={candidate.name}>
              {candidate.name} ({candidate.role})
            </option>
          ))}
        </select>
      </Field>
      <Field id={`${id}-name`} label="Token name" hint="what it is for, e.g. laptop, ci" errors={errors.name}>
        <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
      </Field>
      <Field id={`${id}-role`} label="Token role" hint="at most the user's role" errors={errors.role}>
        <select id={`${id}-role`} value={role} onChange={(e) => setRole(e.target.value as Role | "")}>
          <option value="">the user's role</option>
          {roles.map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </select>
      </Field>
      <Field id={`${id}-expires`} label="Expires on" hint="optional: works through that day; empty: never expires" errors={errors.expiresAt}>
        <input id={`${id}-expires`} type="date" value={expires} onChange={(e) => setExpires(e.target.value)} />
      </Field>
      <FormError error={error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={saving || !chosen}>
          {saving ? "Creating…" : "Create token"}
        </button>
      </div>
    </form>
  );
}
