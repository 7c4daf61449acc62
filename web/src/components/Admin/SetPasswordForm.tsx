import { useId, useState, type FormEvent } from "react";
import { useAction } from "../../hooks/useAction";
import { fieldErrorsOf } from "../common/Field";

interface SetPasswordFormProps {
  user: string;
  hasPassword: boolean;
  onSet: (password: string) => Promise<unknown>;
}

/** An admin sets or resets a user's password in place; the user's sessions end, so they sign in with the new one. */
export function SetPasswordForm({ user, hasPassword, onSet }: SetPasswordFormProps) {
  const id = useId();
  const [password, setPassword] = useState("");
  const [done, setDone] = useState(false);
  const { busy, error, run } = useAction();
  const messages = fieldErrorsOf(error).password ?? (error ? [error.message] : []);
  const action = hasPassword ? "Reset password" : "Set password";

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setDone(false);
    if (await run("set", () => onSet(password))) {
      setPassword("");
      setDone(true);
    }
  };

  return (
    <form className="set-password" aria-label={`${action} of ${user}`} onSubmit={(event) => void submit(event)}>
      <label htmlFor={`${id}-password`} className="visually-hidden">
        New password for {user}
      </label>
      <input
        id={`${id}-password`}
        type="password"
        autoComplete="new-password"
        placeholder="new password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      <button type="submit" disabled={busy !== null || !password}>
        {action}
      </button>
      {done && (
        <small className="saved" role="status">
          Password set
        </small>
      )}
      {messages.map((message) => (
        <small key={message} className="field-error" role="alert">
          {message}
        </small>
      ))}
    </form>
  );
}
