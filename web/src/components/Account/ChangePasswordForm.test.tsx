import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../../api/errors";
import { ChangePasswordForm } from "./ChangePasswordForm";

function fill(current: string, next: string, again: string) {
  fireEvent.change(screen.getByLabelText("Current password"), { target: { value: current } });
  fireEvent.change(screen.getByLabelText("New password"), { target: { value: next } });
  fireEvent.change(screen.getByLabelText("New password again"), { target: { value: again } });
}

describe("ChangePasswordForm", () => {
  it("sends the current and the new password, then clears the form and says it is done", async () => {
    const onChange = vi.fn(async () => undefined);
    render(<ChangePasswordForm onChange={onChange} />);
    fill("old passphrase", "new long passphrase", "new long passphrase");
    fireEvent.click(screen.getByRole("button", { name: "Change password" }));

    await screen.findByText("Your password is changed.");
    expect(onChange).toHaveBeenCalledWith("old passphrase", "new long passphrase");
    expect((screen.getByLabelText("Current password") as HTMLInputElement).value).toBe("");
  });

  it("does not send two different new passwords", () => {
    const onChange = vi.fn(async () => undefined);
    render(<ChangePasswordForm onChange={onChange} />);
    fill("old passphrase", "new long passphrase", "new long passphrasf");

    expect(screen.getByText("the two new passwords differ")).toBeTruthy();
    expect((screen.getByRole("button", { name: "Change password" }) as HTMLButtonElement).disabled).toBe(true);
    expect(onChange).not.toHaveBeenCalled();
  });

  it("shows the server's message under the field it is about", async () => {
    const onChange = vi.fn(async () => {
      throw new ApiError(400, "One or more validation errors occurred.", null, { current: ["not your current password"] });
    });
    render(<ChangePasswordForm onChange={onChange} />);
    fill("wrong", "new long passphrase", "new long passphrase");
    fireEvent.click(screen.getByRole("button", { name: "Change password" }));

    expect((await screen.findByRole("alert")).textContent).toBe("not your current password");
    await waitFor(() => expect((screen.getByLabelText("Current password") as HTMLInputElement).value).toBe("wrong"));
  });
});
