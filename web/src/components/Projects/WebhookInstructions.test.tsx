import { fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Project } from "../../api/types";
import { WebhookInstructions } from "./WebhookInstructions";

const project = (forge: string): Project => ({
  name: "shop", repository: "https://git.example.com/shop.git", forge, pipelineFile: ".pipeliner.yml", defaultBranch: "main",
  createdAt: new Date().toISOString(), webhookUrl: "https://ci.example.com/hooks/shop", latestDefaultBranchRun: null,
});

const secret = "5f".repeat(32);

/** Puts a clipboard on the page that keeps what is written, or refuses every write. */
function clipboard(works = true) {
  const written: string[] = [];
  const writeText = vi.fn(async (text: string) => {
    if (!works) throw new DOMException("Write permission denied.", "NotAllowedError");
    written.push(text);
  });
  Object.defineProperty(navigator, "clipboard", { configurable: true, value: { writeText } });
  return written;
}

afterEach(() => {
  Reflect.deleteProperty(navigator, "clipboard");
});

describe("WebhookInstructions", () => {
  // Each forge's own steps, naming where the secret goes and how the forge sends it (what the server checks).
  it.each([
    ["github", "On GitHub", "Settings → Webhooks → Add webhook", "X-Hub-Signature-256", "Content type: application/json"],
    ["gitlab", "On GitLab", "Settings → Webhooks → Add new webhook", "X-Gitlab-Token", "Merge request events"],
    ["gitea", "On Gitea or Forgejo", "Add webhook → Gitea", "X-Gitea-Signature", "application/json"],
    ["bitbucket", "On Bitbucket", "Repository settings → Webhooks", "X-Hub-Signature)", "Pull Request Created"],
  ])("tells how to set the webhook and its secret on %s", (forge, heading, where, header, detail) => {
    render(<WebhookInstructions project={project(forge)} secret={secret} />);
    const setup = screen.getByRole("region", { name: "Webhook setup" });
    expect(within(setup).getByRole("heading", { name: heading })).toBeTruthy();
    const steps = within(setup).getByRole("list").textContent ?? "";
    expect(steps).toContain(where);
    expect(steps).toContain(header);
    expect(steps).toContain(detail);
    expect(steps).toContain("webhook secret");
  });

  it("copies the webhook URL and the secret shown this once", async () => {
    const written = clipboard();
    render(<WebhookInstructions project={project("gitlab")} secret={secret} />);
    expect((screen.getByLabelText("Webhook URL") as HTMLInputElement).value).toBe("https://ci.example.com/hooks/shop");
    expect((screen.getByLabelText("Webhook secret") as HTMLInputElement).value).toBe(secret);
    expect(screen.getByText(/will not show it again/)).toBeTruthy();

    fireEvent.click(screen.getByRole("button", { name: "Copy webhook url" }));
    await screen.findByText("Copied.");
    fireEvent.click(screen.getByRole("button", { name: "Copy webhook secret" }));
    await screen.findAllByText("Copied.");

    expect(written).toEqual(["https://ci.example.com/hooks/shop", secret]);
  });

  it("says to copy by hand when the browser refuses the clipboard, and shows no secret after the first time", async () => {
    clipboard(false);
    render(<WebhookInstructions project={project("gitea")} />);
    expect(screen.queryByLabelText("Webhook secret")).toBeNull();
    expect(screen.getByText(/not shown again after it is set/)).toBeTruthy();

    fireEvent.click(screen.getByRole("button", { name: "Copy webhook url" }));

    await screen.findByText("Could not copy: select the text and copy it by hand.");
  });
});
