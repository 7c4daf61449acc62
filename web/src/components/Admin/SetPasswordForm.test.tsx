import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../../api/errors";
import { SetPasswordForm } from "./SetPasswordForm";

describe("SetPasswordForm", () => {
  it("sets a first password and says so", async () => {
    const onSet = vi.fn(async () => undefined);
    render(<SetPasswordForm user="dora" hasPassword={false} onSet={onSet} />);
    const form = screen.getByRole("form", { name: "Set password of dora" });
    fireEvent.change(screen.getByLabelText("New password for dora"), { target: { value: "dora's first passphrase" } });
    fireEvent.click(screen.getByRole("button", { name: "Set password" }));

    await screen.findByText("Password set");
    expect(onSet).toHaveBeenCalledWith("dora's first passphrase");
    expect(form).toBeTruthy();
    expect((screen.getByLabelText("New password for dora") as HTMLInputElement).value).toBe("");
  });

  it("offers a reset for a user with a password and shows the policy's refusal", async () => {
    const onSet = vi.fn(async () => {
      throw new ApiError(400, "One or more validation errors occurred.", null, { password: ["at least 12 characters (Pipeliner:Auth:PasswordMinLength)"] });
    });
    render(<SetPasswordForm user="dora" hasPassword onSet={onSet} />);
    fireEvent.change(screen.getByLabelText("New password for dora"), { target: { value: "short" } });
    fireEvent.click(screen.getByRole("button", { name: "Reset password" }));

    expect((await screen.findByRole("alert")).textContent).toBe("at least 12 characters (Pipeliner:Auth:PasswordMinLength)");
  });
});
