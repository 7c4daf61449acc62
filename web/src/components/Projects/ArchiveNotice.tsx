import { api } from "../../api/client";
import type { Project } from "../../api/types";
import { useSession } from "../../hooks/session";
import { useAction } from "../../hooks/useAction";
import { FormError } from "../common/Field";
import { formatTime } from "../common/format";

/** Says that a project is archived and what that means; admins unarchive it here. */
export function ArchiveNotice({ project, onChange }: { project: Project; onChange: (project: Project) => void }) {
  const session = useSession();
  const { busy, error, run } = useAction();
  if (!project.archivedAt) return null;
  return (
    <div className="notice archived" role="status" aria-label="Archived project">
      <p>
        <strong>Archived</strong> since {formatTime(project.archivedAt)}: {project.name} takes no webhooks and no new runs. Its history
        stays readable.
      </p>
      {session.can("admin") && (
        <button type="button" disabled={busy !== null} onClick={() => void run("unarchive", async () => onChange(await api.unarchiveProject(project.name)))}>
          {busy ? "Unarchiving…" : "Unarchive"}
        </button>
      )}
      <FormError error={error} />
    </div>
  );
}

/** Archives an active project (admins), on its settings page. */
export function ArchiveProjectForm({ project, onArchive }: { project: Project; onArchive: () => Promise<void> }) {
  const { busy, error, run } = useAction();
  if (project.archivedAt) return null;
  return (
    <section className="archive-zone" aria-label={`Archive ${project.name}`}>
      <h2>Archive this project</h2>
      <p>
        An archived project keeps its whole history, readable as before, but takes no webhooks (the forge is answered 409) and no new
        runs, and its schedules stop. It leaves the project list (“Archived projects” shows it) until it is unarchived.
      </p>
      <FormError error={error} />
      <button type="button" disabled={busy !== null} onClick={() => void run("archive", onArchive)}>
        {busy ? "Archiving…" : "Archive project"}
      </button>
    </section>
  );
}
