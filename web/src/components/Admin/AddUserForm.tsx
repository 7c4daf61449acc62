import { useId, useState, type FormEvent } from "react";
import { useAction } from "../../hooks/useAction";
import { roles, type CreateUserInput, type Role } from "../../api/types";
import { Field, fieldErrorsOf, FormError } from "../common/Field";

/** Adds a user by name and role; the server's refusal shows under the field it is about. */
export function AddUserForm({ onCreate }: { onCreate: (user: CreateUserInput) => Promise<unknown> }) {
  const id = useId();
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("developer");
  const { busy, error, run } = useAction();
  const saving = busy !== null;
  const errors = fieldErrorsOf(error);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await run("add", () => onCreate({ name: name.trim(), role }))) setName("");
  };

  return (
    <form className="admin-form" aria-label="Add user" onSubmit={(event) => void submit(event)}>
      <Field id={`${id}-name`} label="Name" hint="what the audit log and deployments will show" errors={errors.name}>
        <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
      </Field>
      <Field id={`${id}-role`} label="Role" errors={errors.role}>
        <select id={`${id}-role`} value={role} onChange={(e) => setRole(e.target.value as Role)}>
          {roles.map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </select>
      </Field>
      <FormError error={error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={saving}>
          {saving ? "Adding…" : "Add user"}
        </button>
      </div>
    </form>
  );
}
