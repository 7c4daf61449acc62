import { useId, useState, type FormEvent } from "react";
import { useAction } from "../../hooks/useAction";
import { FormError } from "../common/Field";

interface DeleteProjectFormProps {
  project: string;
  /** Whether the project is archived already (then keeping its history leaves nothing to do). */
  archived: boolean;
  onDelete: () => Promise<void>;
  onArchive: () => Promise<void>;
}

/**
 * Removes the project once its name is typed again, as chosen: with its whole history, or keeping the history (the
 * project is archived: no webhooks or new runs, its runs, logs and artifacts stay readable).
 */
export function DeleteProjectForm({ project, archived, onDelete, onArchive }: DeleteProjectFormProps) {
  const id = useId();
  const [typed, setTyped] = useState("");
  const [keep, setKeep] = useState(false);
  const { busy, error, run } = useAction();
  const keepHistory = keep && !archived;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (typed === project) void run("delete", keepHistory ? onArchive : onDelete);
  };
  return (
    <form className="danger-zone" aria-label={`Delete ${project}`} onSubmit={submit}>
      <h2>Delete this project</h2>
      <fieldset className="choice">
        <legend>Its history</legend>
        <label>
          <input type="radio" name={`${id}-history`} checked={!keep || archived} onChange={() => setKeep(false)} />
          Delete it too: every run, log and artifact, its webhook deliveries, deployments, environments, secrets and schedules.
          The audit log keeps what happened. Runs still going must be canceled first.
        </label>
        <label>
          <input type="radio" name={`${id}-history`} checked={keepHistory} disabled={archived} onChange={() => setKeep(true)} />
          Keep it: the project is archived instead — no webhooks or new runs, hidden from the project list, its runs, logs and
          artifacts readable as before{archived ? " (it is archived already)" : ""}.
        </label>
      </fieldset>
      <label htmlFor={`${id}-confirm`}>Type {project} to confirm</label>
      <input id={`${id}-confirm`} value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" spellCheck={false} />
      <FormError error={error} />
      <button type="submit" className="danger" disabled={typed !== project || busy !== null}>
        {busy ? (keepHistory ? "Archiving…" : "Deleting…") : keepHistory ? "Delete project, keep history" : "Delete project and history"}
      </button>
    </form>
  );
}
