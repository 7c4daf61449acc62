import type { ReactNode } from "react";
import { ApiError } from "../../api/errors";

/** The server's validation messages by field, when the error is a validation problem. */
export const fieldErrorsOf = (error: Error | null): Record<string, string[]> => (error instanceof ApiError ? error.errors : {});

/** A labelled input with its hint and the server's messages for it underneath. */
export function Field({ id, label, hint, errors, children }: { id: string; label: string; hint?: string; errors?: string[]; children: ReactNode }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      {hint && <small className="hint">{hint}</small>}
      {errors?.map((message) => (
        <small key={message} className="field-error" role="alert">
          {message}
        </small>
      ))}
    </div>
  );
}

/** An error that is not about one field (409, 404, network): the server's words in one line. */
export function FormError({ error }: { error: Error | null }) {
  if (!error || Object.keys(fieldErrorsOf(error)).length > 0) return null;
  return (
    <p className="notice error" role="alert">
      {error.message}
    </p>
  );
}
