import { useEffect, useState, type FormEvent } from "react";
import { eventKinds, runStatuses, type RunFilters } from "../../api/types";
import { eventLabel } from "../common/RunRef";
import { statusLabel } from "../JobStatus/statusLabels";

interface RunFiltersFormProps {
  filters: RunFilters;
  onChange: (filters: RunFilters) => void;
}

/** Branch (on Enter), event and status filters of the runs list. */
export function RunFiltersForm({ filters, onChange }: RunFiltersFormProps) {
  const [branch, setBranch] = useState(filters.branch ?? "");
  useEffect(() => setBranch(filters.branch ?? ""), [filters.branch]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    onChange({ ...filters, branch: branch.trim() || undefined, page: 1 });
  };

  return (
    <form className="filters" onSubmit={submit} aria-label="Filter runs">
      <label>
        Branch
        <input type="text" value={branch} placeholder="any" onChange={(e) => setBranch(e.target.value)} onBlur={submit} />
      </label>
      <label>
        Event
        <select value={filters.event ?? ""} onChange={(e) => onChange({ ...filters, event: e.target.value || undefined, page: 1 })}>
          <option value="">any</option>
          {eventKinds.map((kind) => (
            <option key={kind} value={kind}>
              {eventLabel(kind)}
            </option>
          ))}
        </select>
      </label>
      <label>
        Status
        <select value={filters.status ?? ""} onChange={(e) => onChange({ ...filters, status: e.target.value || undefined, page: 1 })}>
          <option value="">any</option>
          {runStatuses.map((status) => (
            <option key={status} value={status}>
              {statusLabel(status)}
            </option>
          ))}
        </select>
      </label>
      {(filters.branch || filters.event || filters.status) && (
        <button type="button" onClick={() => onChange({ page: 1 })}>
          Clear filters
        </button>
      )}
    </form>
  );
}
