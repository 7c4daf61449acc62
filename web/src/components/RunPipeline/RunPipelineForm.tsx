import { useId, useState, type FormEvent } from "react";
import type { PlanPreview, RunRequest } from "../../api/types";
import { useAction } from "../../hooks/useAction";
import { Field, FormError } from "../common/Field";
import { PlanPreviewList } from "./PlanPreviewList";
import { parseVariables } from "./variables";

interface RunPipelineFormProps {
  defaultBranch: string;
  onPreview: (request: RunRequest) => Promise<PlanPreview>;
  onStart: (request: RunRequest) => Promise<void>;
  onClose: () => void;
}

/**
 * A manual run: a branch or a commit, and variables. The plan's decision for each job is shown before anything starts:
 * the first click previews, the second starts what was previewed (a changed request is previewed again).
 */
export function RunPipelineForm({ defaultBranch, onPreview, onStart, onClose }: RunPipelineFormProps) {
  const id = useId();
  const [target, setTarget] = useState<"branch" | "commit">("branch");
  const [branch, setBranch] = useState(defaultBranch);
  const [commit, setCommit] = useState("");
  const [variablesText, setVariablesText] = useState("");
  const [plan, setPlan] = useState<{ key: string; preview: PlanPreview } | null>(null);
  const { busy, error, run } = useAction();
  const parsed = parseVariables(variablesText);

  const request = (): RunRequest => ({
    ...(target === "branch" ? { branch: branch.trim() || undefined } : { commit: commit.trim() }),
    variables: parsed.variables,
  });
  const key = JSON.stringify(request());
  const previewed = plan?.key === key ? plan.preview : null;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (parsed.error) return;
    if (previewed) void run("start", () => onStart(request()));
    else void run("preview", async () => setPlan({ key, preview: await onPreview(request()) }));
  };

  return (
    <form className="admin-form run-form" aria-label="Run pipeline" onSubmit={submit}>
      <fieldset className="wide target-choice">
        <legend>Run</legend>
        <label className="check">
          <input type="radio" name={`${id}-target`} checked={target === "branch"} onChange={() => setTarget("branch")} /> the head of a branch
        </label>
        <label className="check">
          <input type="radio" name={`${id}-target`} checked={target === "commit"} onChange={() => setTarget("commit")} /> a commit
        </label>
      </fieldset>
      {target === "branch" ? (
        <Field id={`${id}-branch`} label="Branch" hint={`empty: ${defaultBranch}`}>
          <input id={`${id}-branch`} value={branch} onChange={(e) => setBranch(e.target.value)} autoComplete="off" />
        </Field>
      ) : (
        <Field id={`${id}-commit`} label="Commit" hint="its full or abbreviated id">
          <input id={`${id}-commit`} value={commit} onChange={(e) => setCommit(e.target.value)} autoComplete="off" spellCheck={false} required />
        </Field>
      )}
      <Field
        id={`${id}-variables`}
        label="Variables"
        hint="one per line, NAME=value; every job gets them"
        errors={parsed.error ? [parsed.error] : undefined}
      >
        <textarea id={`${id}-variables`} rows={3} value={variablesText} onChange={(e) => setVariablesText(e.target.value)} spellCheck={false} />
      </Field>
      <FormError error={error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy !== null || parsed.error !== null || (previewed !== null && !previewed.runs)}>
          {busy === "start" ? "Starting…" : busy === "preview" ? "Planning…" : previewed ? "Start run" : "Preview run"}
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
      {previewed && (
        <div className="wide">
          <PlanPreviewList plan={previewed} />
        </div>
      )}
    </form>
  );
}
