import { useId, useState, type FormEvent } from "react";
import { useAction } from "../../hooks/useAction";
import { Field, fieldErrorsOf, FormError } from "../common/Field";

interface SecretFormProps {
  /** Replacing a stored secret: its name and scope are fixed. */
  replacing?: { name: string; environment: string | null };
  onSave: (name: string, value: string, environment: string | null) => Promise<void>;
  onClose?: () => void;
}

/** Adds a secret, or replaces one's value; the value is sent once and never shown. */
export function SecretForm({ replacing, onSave, onClose }: SecretFormProps) {
  const id = useId();
  const [name, setName] = useState(replacing?.name ?? "");
  const [environment, setEnvironment] = useState(replacing?.environment ?? "");
  const [value, setValue] = useState("");
  const { busy, error, run } = useAction();
  const errors = fieldErrorsOf(error);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await run("save", () => onSave(name.trim(), value, environment.trim() || null))) {
      setValue("");
      if (!replacing) setName("");
      onClose?.();
    }
  };

  const label = replacing ? `Replace ${replacing.name}${replacing.environment ? ` (${replacing.environment})` : ""}` : "Add secret";
  return (
    <form className="admin-form secret-form" aria-label={label} onSubmit={(e) => void submit(e)}>
      {!replacing && (
        <>
          <Field id={`${id}-name`} label="Name" hint="as the pipeline's secrets: lists it, e.g. DEPLOY_TOKEN" errors={errors.name}>
            <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" spellCheck={false} required />
          </Field>
          <Field id={`${id}-environment`} label="Environment" hint="empty: every job of the project" errors={errors.environment}>
            <input id={`${id}-environment`} value={environment} onChange={(e) => setEnvironment(e.target.value)} autoComplete="off" />
          </Field>
        </>
      )}
      <Field id={`${id}-value`} label={replacing ? "New value" : "Value"} hint="write-only: never shown again" errors={errors.value}>
        <textarea id={`${id}-value`} rows={2} value={value} onChange={(e) => setValue(e.target.value)} spellCheck={false} required />
      </Field>
      <FormError error={error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy !== null}>
          {busy ? "Saving…" : replacing ? "Replace value" : "Add secret"}
        </button>
        {onClose && (
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
