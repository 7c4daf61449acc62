import { useId } from "react";
import type { Project } from "../../api/types";
import { CopyField } from "../common/CopyButton";

interface ForgeSteps {
  where: string;
  fields: string[];
  events: string;
}

/** Where each forge keeps its webhooks and what to fill in; the secret goes where the forge signs or sends it. */
const steps: Record<string, ForgeSteps> = {
  github: {
    where: "the repository's Settings → Webhooks → Add webhook",
    fields: ["Payload URL: the webhook URL", "Content type: application/json", "Secret: the project's webhook secret (GitHub signs every delivery with it, X-Hub-Signature-256)"],
    events: "“Let me select individual events”: Pushes and Pull requests (tags come with pushes)",
  },
  gitlab: {
    where: "the project's Settings → Webhooks → Add new webhook",
    fields: ["URL: the webhook URL", "Secret token: the project's webhook secret (GitLab sends it as X-Gitlab-Token)"],
    events: "Trigger: Push events, Tag push events and Merge request events",
  },
  gitea: {
    where: "the repository's Settings → Webhooks → Add webhook → Gitea (Forgejo: Forgejo)",
    fields: ["Target URL: the webhook URL", "HTTP method POST, POST content type application/json", "Secret: the project's webhook secret (signed as X-Gitea-Signature)"],
    events: "Trigger on: Custom events → Push, Create (tags) and Pull request",
  },
  bitbucket: {
    where: "the repository's Repository settings → Webhooks → Add webhook",
    fields: ["URL: the webhook URL", "Secret: the project's webhook secret (Bitbucket signs every delivery with it, X-Hub-Signature)"],
    events: "Triggers: Repository Push, Pull Request Created and Updated",
  },
};

const forgeNames: Record<string, string> = { github: "GitHub", gitlab: "GitLab", gitea: "Gitea or Forgejo", bitbucket: "Bitbucket" };

/** The project's webhook URL, copyable, and how to give it (and the secret) to the project's forge. */
export function WebhookInstructions({ project, secret }: { project: Project; secret?: string }) {
  const id = useId();
  const forge = steps[project.forge] ?? steps.github!;
  return (
    <section className="webhook-setup" aria-label="Webhook setup">
      <h2>Webhook</h2>
      <CopyField id={`${id}-url`} label="Webhook URL" value={project.webhookUrl} />
      {secret ? (
        <>
          <p className="warning" role="status">
            <strong>Copy the webhook secret now:</strong> the server keeps it encrypted and will not show it again.
          </p>
          <CopyField id={`${id}-secret`} label="Webhook secret" value={secret} />
        </>
      ) : (
        <p className="muted">
          The webhook secret is not shown again after it is set; to give the forge a new one, set a new secret in the settings
          below and then on the forge.
        </p>
      )}
      <h3>On {forgeNames[project.forge] ?? project.forge}</h3>
      <ol className="forge-steps">
        <li>Open {forge.where}.</li>
        {forge.fields.map((field) => (
          <li key={field}>{field}</li>
        ))}
        <li>{forge.events}.</li>
        <li>Save; the forge's test delivery appears under Webhook deliveries.</li>
      </ol>
    </section>
  );
}
