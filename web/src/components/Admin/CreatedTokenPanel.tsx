import { useId, useState } from "react";
import type { CreatedToken } from "../../api/types";

/**
 * The token just created, shown this once: the server keeps only its hash. Dismissing the panel drops it, so it
 * lives nowhere in the page after that.
 */
export function CreatedTokenPanel({ created, onDismiss }: { created: CreatedToken; onDismiss: () => void }) {
  const id = useId();
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.token);
      setCopied("yes");
    } catch {
      setCopied("failed");
    }
  };

  return (
    <section className="created-token" aria-label="Created token">
      <h3>
        Token “{created.name}” for {created.user} ({created.role})
      </h3>
      <p className="warning" role="status">
        <strong>Copy it now:</strong> this token will not be shown again. Anyone who has it acts as {created.user}.
      </p>
      <div className="token-value">
        <label htmlFor={`${id}-token`}>Token</label>
        <input id={`${id}-token`} readOnly value={created.token} onFocus={(e) => e.target.select()} spellCheck={false} />
        <button type="button" onClick={() => void copy()}>
          Copy
        </button>
        {copied && (
          <span role="status">{copied === "yes" ? "Copied to the clipboard." : "Could not copy: select the field and copy it by hand."}</span>
        )}
      </div>
      <button type="button" onClick={onDismiss}>
        I have copied it, hide the token
      </button>
    </section>
  );
}
