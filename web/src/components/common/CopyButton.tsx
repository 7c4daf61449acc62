import { useState } from "react";

/** Copies a text to the clipboard and says whether it worked (a field next to it lets people copy by hand). */
export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied("yes");
    } catch {
      setCopied("failed");
    }
  };
  return (
    <>
      <button type="button" onClick={() => void copy()}>
        {label}
      </button>
      {copied && <span role="status">{copied === "yes" ? "Copied." : "Could not copy: select the text and copy it by hand."}</span>}
    </>
  );
}

/** A read-only value with a Copy button: a webhook URL, a secret shown once. */
export function CopyField({ id, label, value }: { id: string; label: string; value: string }) {
  return (
    <div className="copy-field">
      <label htmlFor={id}>{label}</label>
      <input id={id} readOnly value={value} onFocus={(e) => e.target.select()} spellCheck={false} />
      <CopyButton text={value} label={`Copy ${label.toLowerCase()}`} />
    </div>
  );
}
