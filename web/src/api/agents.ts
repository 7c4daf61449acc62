// The agents API (GET /api/agents; admins: PATCH/DELETE /api/agents/{name}, /api/agents/tokens), on the shared client.
import { api, type Client } from "./client";
import { toApiError } from "./errors";

export type AgentStatus = "online" | "offline" | "disabled";

/** An attempt an agent holds the lease on. */
export interface AgentRunningJob {
  runId: number;
  job: string;
  attempt: number;
}

/** An agent as GET /api/agents lists it; the embedded agent (inside the server) is one of them. */
export interface Agent {
  name: string;
  labels: string[];
  capacity: number;
  status: AgentStatus;
  lastSeenAt: string | null;
  version: string;
  runningJobs: AgentRunningJob[];
}

/** A registration token as admins list it: never the token itself. */
export interface RegistrationToken {
  id: number;
  name: string;
  prefix: string;
  createdBy: string;
  createdAt: string;
  revokedAt: string | null;
}

/** The answer to POST /api/agents/tokens: the only one that holds the token. */
export interface CreatedRegistrationToken {
  id: number;
  name: string;
  prefix: string;
  token: string;
  createdAt: string;
}

const enc = encodeURIComponent;

export function createAgentsClient(client: Client = api) {
  async function send(path: string, init: RequestInit = {}): Promise<Response> {
    const response = await client.fetch(client.baseUrl + path, { ...init, headers: client.headers(init.headers) });
    if (!response.ok) throw await toApiError(response);
    return response;
  }
  const json = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const headers = new Headers(init.headers);
    headers.set("Accept", "application/json");
    if (init.body !== undefined) headers.set("Content-Type", "application/json");
    return (await (await send(path, { ...init, headers })).json()) as T;
  };

  return {
    list: (signal?: AbortSignal) => json<Agent[]>("/api/agents", { signal }),
    /** A disabled agent finishes its running jobs and gets no new ones. */
    setDisabled: (name: string, disabled: boolean) =>
      json<Agent>(`/api/agents/${enc(name)}`, { method: "PATCH", body: JSON.stringify({ disabled }) }),
    remove: (name: string) => send(`/api/agents/${enc(name)}`, { method: "DELETE" }),
    tokens: (signal?: AbortSignal) => json<RegistrationToken[]>("/api/agents/tokens", { signal }),
    /** The answer holds the token: show it once and keep it nowhere else. */
    createToken: (name: string) =>
      json<CreatedRegistrationToken>("/api/agents/tokens", { method: "POST", body: JSON.stringify(name ? { name } : {}) }),
    revokeToken: (id: number) => send(`/api/agents/tokens/${id}`, { method: "DELETE" }),
  };
}

export type AgentsClient = ReturnType<typeof createAgentsClient>;

export const agentsApi: AgentsClient = createAgentsClient();
