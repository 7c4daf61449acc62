import { useId, useState, type FormEvent, type ReactNode } from "react";
import { ApiError } from "../../api/errors";
import type { EnvironmentRulesInput, Role } from "../../api/types";

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
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const fieldErrors = error instanceof ApiError ? error.errors : {};

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setError(null);
    try {
      const count = approvals.trim() === "" ? 0 : Number(approvals);
      await onSave(name.trim(), { requiredRole, requires: list(requires), approvals: count, branches: list(branches), tags: list(tags) });
      onClose();
    } catch (reason) {
      setError(reason instanceof Error ? reason : new Error(String(reason)));
    } finally {
      setSaving(false);
    }
  };

  const field = (key: string, label: string, input: ReactNode, hint?: string) => (
    <div className="field">
      <label htmlFor={`${id}-${key}`}>{label}</label>
      {input}
      {hint && <small className="hint">{hint}</small>}
      {fieldErrors[key]?.map((message) => (
        <small key={message} className="field-error" role="alert">
          {message}
        </small>
      ))}
    </div>
  );

  return (
    <form className="rules-form" onSubmit={(event) => void submit(event)} aria-label={`Rules of ${environment ?? "a new environment"}`}>
      {environment === undefined &&
        field("environment", "Environment", <input id={`${id}-environment`} value={name} onChange={(e) => setName(e.target.value)} required />)}
      {field(
        "requiredRole",
        "Required role",
        <select id={`${id}-requiredRole`} value={requiredRole} onChange={(e) => setRequiredRole(e.target.value as Role)}>
          {deployingRoles.map((role) => (
            <option key={role} value={role}>
              {role}
            </option>
          ))}
        </select>,
      )}
      {field(
        "requires",
        "Requires",
        <input id={`${id}-requires`} value={requires} onChange={(e) => setRequires(e.target.value)} />,
        "environments the same run must have reached first, e.g. qa",
      )}
      {field(
        "approvals",
        "Approvals",
        <input id={`${id}-approvals`} type="number" min={0} max={10} value={approvals} onChange={(e) => setApprovals(e.target.value)} />,
        "by people other than the one who asks",
      )}
      {field(
        "branches",
        "Branches",
        <input id={`${id}-branches`} value={branches} onChange={(e) => setBranches(e.target.value)} />,
        "globs, e.g. main, release/*; empty: any",
      )}
      {field("tags", "Tags", <input id={`${id}-tags`} value={tags} onChange={(e) => setTags(e.target.value)} />, "globs, e.g. v*; empty: any")}
      {error && Object.keys(fieldErrors).length === 0 && (
        <p className="notice error" role="alert">
          {error.message}
        </p>
      )}
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
