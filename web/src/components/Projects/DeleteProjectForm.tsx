import { useId, useState, type FormEvent } from "react";
import { useAction } from "../../hooks/useAction";
import { FormError } from "../common/Field";

/** Deletes the project with its whole history, once its name is typed again. */
export function DeleteProjectForm({ project, onDelete }: { project: string; onDelete: () => Promise<void> }) {
  const id = useId();
  const [typed, setTyped] = useState("");
  const { busy, error, run } = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (typed === project) void run("delete", onDelete);
  };
  return (
    <form className="danger-zone" aria-label={`Delete ${project}`} onSubmit={submit}>
      <h2>Delete this project</h2>
      <p>
        Deletes <strong>{project}</strong> with its whole history: every run, log and artifact, its webhook deliveries, deployments,
        environments, secrets and schedules. The audit log keeps what happened. Runs still going must be canceled first.
      </p>
      <label htmlFor={`${id}-confirm`}>Type {project} to confirm</label>
      <input id={`${id}-confirm`} value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" spellCheck={false} />
      <FormError error={error} />
      <button type="submit" className="danger" disabled={typed !== project || busy !== null}>
        {busy ? "Deleting…" : "Delete project and history"}
      </button>
    </form>
  );
}
