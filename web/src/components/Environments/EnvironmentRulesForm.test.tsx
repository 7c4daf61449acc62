import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../../api/errors";
import type { EnvironmentRulesInput } from "../../api/types";
import { defaultRules, EnvironmentRulesEditor, EnvironmentRulesForm } from "./EnvironmentRulesForm";

const qaRules: EnvironmentRulesInput = { requiredRole: "release-manager", requires: ["dit"], approvals: 0, branches: [], tags: [] };

describe("EnvironmentRulesForm", () => {
  it("saves the rules as typed, lists split at commas, and closes", async () => {
    const onSave = vi.fn(async () => undefined);
    const onClose = vi.fn();
    render(<EnvironmentRulesForm environment="prod" rules={qaRules} onSave={onSave} onClose={onClose} />);

    fireEvent.change(screen.getByLabelText("Required role"), { target: { value: "admin" } });
    fireEvent.change(screen.getByLabelText("Requires"), { target: { value: "qa, dit ," } });
    fireEvent.change(screen.getByLabelText("Approvals"), { target: { value: "2" } });
    fireEvent.change(screen.getByLabelText("Branches"), { target: { value: "main, release/*" } });
    fireEvent.change(screen.getByLabelText("Tags"), { target: { value: "v*" } });
    fireEvent.click(screen.getByRole("button", { name: "Save rules" }));

    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(onSave).toHaveBeenCalledWith("prod", {
      requiredRole: "admin", requires: ["qa", "dit"], approvals: 2, branches: ["main", "release/*"], tags: ["v*"],
    });
    expect(screen.queryByLabelText("Environment")).toBeNull();
  });

  it("shows the server's words under each refused field and stays open", async () => {
    const refusal = new ApiError(400, "One or more validation errors occurred.", null, {
      approvals: ["a whole number from 0 to 10"],
      requires: ["prod cannot require itself"],
    });
    const onClose = vi.fn();
    render(<EnvironmentRulesForm environment="prod" rules={qaRules} onSave={() => Promise.reject(refusal)} onClose={onClose} />);

    fireEvent.click(screen.getByRole("button", { name: "Save rules" }));

    expect(await screen.findByText("a whole number from 0 to 10")).toBeTruthy();
    expect(screen.getByText("prod cannot require itself")).toBeTruthy();
    expect(onClose).not.toHaveBeenCalled();
    expect(screen.getByRole("button", { name: "Save rules" })).toBeTruthy();
  });

  it("asks for the environment's name when it has no rules or deployments yet", async () => {
    const onSave = vi.fn(async () => undefined);
    render(<EnvironmentRulesEditor label="Set the rules of another environment" rules={defaultRules} onSave={onSave} />);

    fireEvent.click(screen.getByRole("button", { name: "Set the rules of another environment" }));
    fireEvent.change(screen.getByLabelText("Environment"), { target: { value: " staging " } });
    fireEvent.click(screen.getByRole("button", { name: "Save rules" }));

    await waitFor(() => expect(onSave).toHaveBeenCalledWith("staging", defaultRules));
    expect(await screen.findByRole("button", { name: "Set the rules of another environment" })).toBeTruthy();
  });
});
