import { api } from "../../api/client";
import { getToken } from "../../api/session";
import type { Artifact } from "../../api/types";
import { useAction } from "../../hooks/useAction";
import { useAsync } from "../../hooks/useAsync";
import { ErrorNotice } from "../common/Notice";
import { formatBytesShort } from "../common/format";

const size = (bytes: number) => (bytes < 1024 ? `${bytes} B` : formatBytesShort(bytes));

interface ArtifactsSectionProps {
  runId: number;
  /** Only this job's archives (a job's page); all of the run's otherwise. */
  job?: string;
  /** Changes when jobs finish, so that new archives are listed. */
  version: string;
}

/** The archives a run's jobs saved, with size and SHA-256, each downloadable. */
export function ArtifactsSection({ runId, job, version }: ArtifactsSectionProps) {
  const artifacts = useAsync(() => api.artifacts(runId), [runId, version]);
  const action = useAction();
  const shown = (artifacts.data ?? []).filter((artifact) => job === undefined || artifact.job === job);
  if (!artifacts.error && shown.length === 0) return null;

  // With a pasted token the browser cannot send it on a plain link: the archive is read here and handed over.
  const download = (artifact: Artifact) =>
    void action.run(artifact.name, async () => {
      const url = URL.createObjectURL(await api.artifactBlob(runId, artifact.name));
      const link = document.createElement("a");
      link.href = url;
      link.download = artifact.name;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    });

  return (
    <section className="artifacts" aria-label={job ? `Artifacts of ${job}` : "Artifacts"}>
      <h2>{job ? `Artifacts of ${job}` : "Artifacts"}</h2>
      {artifacts.error && <ErrorNotice error={artifacts.error} />}
      {action.error && <ErrorNotice error={action.error} />}
      <table className="admin-table artifacts-table">
        <thead>
          <tr>
            <th>Archive</th>
            {job === undefined && <th>Job</th>}
            <th>Path</th>
            <th>Size</th>
            <th>SHA-256</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {shown.map((artifact) => (
            <tr key={artifact.name} aria-label={`Artifact ${artifact.name}`}>
              <td>
                <code>{artifact.name}</code>
              </td>
              {job === undefined && <td>{artifact.job}</td>}
              <td>
                <code>{artifact.path}</code>
              </td>
              <td title={`${artifact.size} bytes`}>{size(artifact.size)}</td>
              <td>
                <code className="sha" title={artifact.sha256}>
                  {artifact.sha256}
                </code>
              </td>
              <td>
                {getToken() ? (
                  <button type="button" onClick={() => download(artifact)} disabled={action.busy === artifact.name}>
                    {action.busy === artifact.name ? "Downloading…" : "Download"}
                  </button>
                ) : (
                  <a className="button" href={api.artifactUrl(runId, artifact.name)} download={artifact.name}>
                    Download
                  </a>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
