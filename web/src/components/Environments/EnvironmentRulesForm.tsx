import { useId, useState, type FormEvent } from "react";
import type { EnvironmentRulesInput, Role } from "../../api/types";
import { useAction } from "../../hooks/useAction";
import { Field, fieldErrorsOf, FormError } from "../common/Field";

const deployingRoles: Role[] = ["developer", "release-manager", "admin"];

export const defaultRules: EnvironmentRulesInput = { requiredRole: "release-manager", requires: [], approvals: 0, branches: [], tags: [] };

interface EnvironmentRulesFormProps {
  /** The environment whose rules are edited; none: the form asks for a name (rules for an environment not deployed yet). */
  environment?: string;
  rules: EnvironmentRulesInput;
  onSave: (environment: string, rules: EnvironmentRulesInput) => Promise<void>;
  onClose: () => void;
}

const list = (text: string) =>
  text
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");

/** Who may deploy to an environment, after which others, with how many approvals, from which branches and tags. */
export function EnvironmentRulesForm({ environment, rules, onSave, onClose }: EnvironmentRulesFormProps) {
  const id = useId();
  const [name, setName] = useState(environment ?? "");
  const [requiredRole, setRequiredRole] = useState<Role>(rules.requiredRole);
  const [requires, setRequires] = useState(rules.requires.join(", "));
  const [approvals, setApprovals] = useState(String(rules.approvals));
  const [branches, setBranches] = useState(rules.branches.join(", "));
  const [tags, setTags] = useState(rules.tags.join(", "));
  const { busy, error, run } = useAction();
  const saving = busy !== null;
  const errors = fieldErrorsOf(error);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const count = approvals.trim() === "" ? 0 : Number(approvals);
    const changed = { requiredRole, requires: list(requires), approvals: count, branches: list(branches), tags: list(tags) };
    if (await run("save", () => onSave(name.trim(), changed))) onClose();
  };

  return (
    <form className="rules-form" onSubmit={(event) => void submit(event)} aria-label={`Rules of ${environment ?? "a new environment"}`}>
      {environment === undefined && (
        <Field id={`${id}-environment`} label="Environment" errors={errors.environment}>
          <input id={`${id}-environment`} value={name} onChange={(e) => setName(e.target.value)} required />
        </Field>
      )}
      <Field id={`${id}-requiredRole`} label="Required role" errors={errors.requiredRole}>
        <select id={`${id}-requiredRole`} value={requiredRole} onChange={(e) => setRequiredRole(e.target.value as Role)}>
          {deployingRoles.map((role) => (
            <option key={role} value={role}>
              {role}
            </option>
          ))}
        </select>
      </Field>
      <Field id={`${id}-requires`} label="Requires" hint="environments the same run must have reached first, e.g. qa" errors={errors.requires}>
        <input id={`${id}-requires`} value={requires} onChange={(e) => setRequires(e.target.value)} />
      </Field>
      <Field id={`${id}-approvals`} label="Approvals" hint="by people other than the one who asks" errors={errors.approvals}>
        <input id={`${id}-approvals`} type="number" min={0} max={10} value={approvals} onChange={(e) => setApprovals(e.target.value)} />
      </Field>
      <Field id={`${id}-branches`} label="Branches" hint="globs, e.g. main, release/*; empty: any" errors={errors.branches}>
        <input id={`${id}-branches`} value={branches} onChange={(e) => setBranches(e.target.value)} />
      </Field>
      <Field id={`${id}-tags`} label="Tags" hint="globs, e.g. v*; empty: any" errors={errors.tags}>
        <input id={`${id}-tags`} value={tags} onChange={(e) => setTags(e.target.value)} />
      </Field>
      <FormError error={error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={saving}>
          {saving ? "Saving…" : "Save rules"}
        </button>
        <button type="button" onClick={onClose} disabled={saving}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** An admin's "Edit rules" button that opens the form in place. */
export function EnvironmentRulesEditor(props: Omit<EnvironmentRulesFormProps, "onClose"> & { label?: string }) {
  const [open, setOpen] = useState(false);
  if (!open) {
    return (
      <button type="button" onClick={() => setOpen(true)}>
        {props.label ?? "Edit rules"}
      </button>
    );
  }
  return <EnvironmentRulesForm {...props} onClose={() => setOpen(false)} />;
}
