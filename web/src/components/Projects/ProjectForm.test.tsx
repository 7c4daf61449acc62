import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { Project, ProjectInput } from "../../api/types";
import { ProjectForm } from "./ProjectForm";

const project: Project = {
  name: "shop", repository: "https://git.example.com/shop.git", forge: "gitea", pipelineFile: ".pipeliner.yml", defaultBranch: "main",
  createdAt: new Date().toISOString(), webhookUrl: "http://ci/hooks/shop", latestDefaultBranchRun: null, allowSecretsForForks: false,
  forgeApiUrl: "https://git.example.com/api/v1", hasForgeToken: true, credentialsKind: "password",
};

describe("ProjectForm", () => {
  it("registers a project with a generated webhook secret and everything typed", async () => {
    const onSave = vi.fn(async (_: ProjectInput) => {});
    render(<ProjectForm onSave={onSave} />);
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "shop" } });
    fireEvent.change(screen.getByLabelText("Repository"), { target: { value: "https://git.example.com/shop.git" } });
    fireEvent.change(screen.getByLabelText("Credentials"), { target: { value: "password" } });
    fireEvent.change(screen.getByLabelText("User name"), { target: { value: "ci-bot" } });
    fireEvent.change(screen.getByLabelText("Password or token"), { target: { value: "s3cret" } });
    fireEvent.click(screen.getByRole("button", { name: "Register project" }));
    await waitFor(() => expect(onSave).toHaveBeenCalled());
    const input = onSave.mock.calls[0]![0];
    expect(input).toMatchObject({ name: "shop", forge: "github", defaultBranch: "main", credentials: { username: "ci-bot", password: "s3cret" } });
    expect(input.webhookSecret).toMatch(/^[0-9a-f]{64}$/);
  });

  it("sends only what changed, and removes the forge token and credentials when asked", async () => {
    const onSave = vi.fn(async (_: ProjectInput) => {});
    render(<ProjectForm project={project} onSave={onSave} />);
    expect(screen.queryByLabelText("Name")).toBeNull();
    fireEvent.change(screen.getByLabelText("Default branch"), { target: { value: "develop" } });
    fireEvent.click(screen.getByLabelText("Remove the forge token"));
    fireEvent.change(screen.getByLabelText("Credentials"), { target: { value: "remove" } });
    fireEvent.click(screen.getByRole("button", { name: "Save settings" }));
    await waitFor(() => expect(onSave).toHaveBeenCalled());
    expect(onSave.mock.calls[0]![0]).toEqual({ defaultBranch: "develop", forgeToken: "", credentials: {} });
  });
});
