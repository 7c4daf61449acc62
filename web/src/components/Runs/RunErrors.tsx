import type { RunError } from "../../api/types";

/** Why an invalid run did not start: the pipeline file's validation errors, with line and column. */
export function RunErrors({ errors }: { errors: RunError[] }) {
  return (
    <section className="run-errors" aria-label="Pipeline errors">
      <h2>The pipeline file is not valid</h2>
      <ol>
        {errors.map((error, i) => (
          <li key={i}>
            <span className="error-position">
              line {error.line}, column {error.column}
            </span>
            : {error.message}
          </li>
        ))}
      </ol>
    </section>
  );
}
