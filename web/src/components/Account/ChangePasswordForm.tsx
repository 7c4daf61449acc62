import { useId, useState, type FormEvent } from "react";
import { useAction } from "../../hooks/useAction";
import { Field, fieldErrorsOf, FormError } from "../common/Field";

interface ChangePasswordFormProps {
  onChange: (current: string, next: string) => Promise<unknown>;
}

/** Changes the signed-in user's own password: the current one, the new one twice (checked here, before asking the server). */
export function ChangePasswordForm({ onChange }: ChangePasswordFormProps) {
  const id = useId();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [done, setDone] = useState(false);
  const { busy, error, run } = useAction();
  const errors = fieldErrorsOf(error);
  const mismatch = again.length > 0 && again !== next;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setDone(false);
    if (mismatch) return;
    if (await run("change", () => onChange(current, next))) {
      setCurrent("");
      setNext("");
      setAgain("");
      setDone(true);
    }
  };

  return (
    <form className="admin-form" aria-label="Change password" onSubmit={(event) => void submit(event)}>
      <Field id={`${id}-current`} label="Current password" errors={errors.current}>
        <input id={`${id}-current`} type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} required />
      </Field>
      <Field id={`${id}-new`} label="New password" hint="at least 12 characters; your other sessions end" errors={errors.new}>
        <input id={`${id}-new`} type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} required />
      </Field>
      <Field id={`${id}-again`} label="New password again" errors={mismatch ? ["the two new passwords differ"] : undefined}>
        <input id={`${id}-again`} type="password" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} required />
      </Field>
      <FormError error={error} />
      {done && (
        <p className="notice" role="status">
          Your password is changed.
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy !== null || !current || !next || again !== next}>
          {busy ? "Changing…" : "Change password"}
        </button>
      </div>
    </form>
  );
}
