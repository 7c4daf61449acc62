import { useId, useState, type FormEvent } from "react";
import { forges, type Project, type ProjectInput, type RepositoryCredentialsInput } from "../../api/types";
import { useAction } from "../../hooks/useAction";
import { Field, fieldErrorsOf, FormError } from "../common/Field";
import { CredentialsFields, credentialsInput, type CredentialsChoice } from "./CredentialsFields";

/** 32 random bytes as hex: a webhook secret nobody has to invent. */
export function newWebhookSecret(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

interface ProjectFormProps {
  /** The project edited; none: a new one is registered. */
  project?: Project;
  onSave: (input: ProjectInput) => Promise<void>;
}

/**
 * A project's settings. Registering asks for everything; editing changes what may change (name, repository and forge
 * stay: the server refuses them) and leaves a write-only value as it is unless a new one is typed.
 */
export function ProjectForm({ project, onSave }: ProjectFormProps) {
  const id = useId();
  const editing = project !== undefined;
  const [name, setName] = useState("");
  const [repository, setRepository] = useState("");
  const [forge, setForge] = useState<string>("github");
  const [webhookSecret, setWebhookSecret] = useState(editing ? "" : newWebhookSecret());
  const [defaultBranch, setDefaultBranch] = useState(project?.defaultBranch ?? "main");
  const [pipelineFile, setPipelineFile] = useState(project?.pipelineFile ?? ".pipeliner.yml");
  const [forgeApiUrl, setForgeApiUrl] = useState(project?.forgeApiUrl ?? "");
  const [forgeToken, setForgeToken] = useState("");
  const [removeForgeToken, setRemoveForgeToken] = useState(false);
  const [allowSecretsForForks, setAllowSecretsForForks] = useState(project?.allowSecretsForForks ?? false);
  const [credentials, setCredentials] = useState<CredentialsChoice>({ kind: "keep" });
  const { busy, error, run } = useAction();
  const errors = fieldErrorsOf(error);
  const saving = busy !== null;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const input: ProjectInput = editing ? changes() : everything();
    await run("save", () => onSave(input));
  };

  const clone = (): RepositoryCredentialsInput | undefined => credentialsInput(credentials);

  function everything(): ProjectInput {
    return {
      name: name.trim(),
      repository: repository.trim(),
      forge,
      webhookSecret,
      defaultBranch: defaultBranch.trim(),
      pipelineFile: pipelineFile.trim(),
      forgeApiUrl: forgeApiUrl.trim() || undefined,
      forgeToken: forgeToken || undefined,
      allowSecretsForForks,
      credentials: clone(),
    };
  }

  // Only what changed: PATCH leaves out what stays, and "" removes the forge API URL or token.
  function changes(): ProjectInput {
    const change: ProjectInput = {};
    if (defaultBranch.trim() !== project!.defaultBranch) change.defaultBranch = defaultBranch.trim();
    if (pipelineFile.trim() !== project!.pipelineFile) change.pipelineFile = pipelineFile.trim();
    if (forgeApiUrl.trim() !== (project!.forgeApiUrl ?? "")) change.forgeApiUrl = forgeApiUrl.trim();
    if (removeForgeToken) change.forgeToken = "";
    else if (forgeToken) change.forgeToken = forgeToken;
    if (webhookSecret) change.webhookSecret = webhookSecret;
    if (allowSecretsForForks !== (project!.allowSecretsForForks ?? false)) change.allowSecretsForForks = allowSecretsForForks;
    const given = clone();
    if (given) change.credentials = given;
    return change;
  }

  return (
    <form className="admin-form project-form" aria-label={editing ? `Settings of ${project.name}` : "New project"} onSubmit={(e) => void submit(e)}>
      {editing ? (
        <p className="notice hint wide">
          Repository <code>{project.repository}</code> on {project.forge}: the name, repository and forge cannot be changed; register a
          new project for another repository.
        </p>
      ) : (
        <>
          <Field id={`${id}-name`} label="Name" hint="lower-case letters, digits, . _ -; in addresses and the webhook URL" errors={errors.name}>
            <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" required />
          </Field>
          <Field id={`${id}-repository`} label="Repository" hint="https://…, ssh://…, git@host:owner/repo.git" errors={errors.repository}>
            <input id={`${id}-repository`} value={repository} onChange={(e) => setRepository(e.target.value)} autoComplete="off" required />
          </Field>
          <Field id={`${id}-forge`} label="Forge" errors={errors.forge}>
            <select id={`${id}-forge`} value={forge} onChange={(e) => setForge(e.target.value)}>
              {forges.map((value) => (
                <option key={value} value={value}>
                  {value}
                </option>
              ))}
            </select>
          </Field>
        </>
      )}
      <Field id={`${id}-branch`} label="Default branch" errors={errors.defaultBranch}>
        <input id={`${id}-branch`} value={defaultBranch} onChange={(e) => setDefaultBranch(e.target.value)} required />
      </Field>
      <Field id={`${id}-pipeline`} label="Pipeline file" hint="path in the repository" errors={errors.pipelineFile}>
        <input id={`${id}-pipeline`} value={pipelineFile} onChange={(e) => setPipelineFile(e.target.value)} required />
      </Field>
      <Field
        id={`${id}-secret`}
        label={editing ? "New webhook secret" : "Webhook secret"}
        hint={editing ? "leave empty to keep the current one" : "generated for you; shown once after saving"}
        errors={errors.webhookSecret}
      >
        <span className="input-with-button">
          <input id={`${id}-secret`} value={webhookSecret} onChange={(e) => setWebhookSecret(e.target.value)} autoComplete="off" spellCheck={false} />
          <button type="button" onClick={() => setWebhookSecret(newWebhookSecret())}>
            Generate
          </button>
        </span>
      </Field>
      <Field
        id={`${id}-forge-api`}
        label="Forge API URL"
        hint="for commit statuses, e.g. https://api.github.com; empty: none"
        errors={errors.forgeApiUrl}
      >
        <input id={`${id}-forge-api`} value={forgeApiUrl} onChange={(e) => setForgeApiUrl(e.target.value)} autoComplete="off" />
      </Field>
      <Field
        id={`${id}-forge-token`}
        label={editing && project.hasForgeToken ? "New forge token" : "Forge token"}
        hint={editing && project.hasForgeToken ? "a token is set; leave empty to keep it" : "write-only: never shown again"}
        errors={errors.forgeToken}
      >
        <input
          id={`${id}-forge-token`}
          type="password"
          value={forgeToken}
          onChange={(e) => setForgeToken(e.target.value)}
          autoComplete="new-password"
          disabled={removeForgeToken}
        />
      </Field>
      {editing && project.hasForgeToken && (
        <label className="check">
          <input type="checkbox" checked={removeForgeToken} onChange={(e) => setRemoveForgeToken(e.target.checked)} /> Remove the forge token
        </label>
      )}
      <label className="check wide">
        <input type="checkbox" checked={allowSecretsForForks} onChange={(e) => setAllowSecretsForForks(e.target.checked)} /> Give secrets to pull
        requests from forks (only for repositories where every contributor is trusted)
      </label>
      <CredentialsFields stored={project?.credentialsKind ?? null} choice={credentials} onChange={setCredentials} errors={errors} />
      {errors.body && (
        <p className="notice error" role="alert">
          {errors.body.join(" ")}
        </p>
      )}
      <FormError error={error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={saving}>
          {saving ? "Saving…" : editing ? "Save settings" : "Register project"}
        </button>
      </div>
    </form>
  );
}
