import { useCallback, useState } from "react";
import { agentsApi, type Agent, type CreatedRegistrationToken, type RegistrationToken } from "../api/agents";
import { AgentsTable } from "../components/Agents/AgentsTable";
import { CreatedRegistrationTokenPanel, NewRegistrationTokenForm, RegistrationTokensTable } from "../components/Agents/RegistrationTokens";
import { ErrorNotice, Loading } from "../components/common/Notice";
import { AppShell } from "../components/Layout/AppShell";
import { useSession } from "../hooks/session";
import { useAsync } from "../hooks/useAsync";
import { useNow } from "../hooks/useNow";
import { usePolling } from "../hooks/usePolling";

/**
 * The agents that run jobs (the embedded one inside the server and remote ones): who is online, what each can take and
 * is running. Admins disable, enable and delete agents and manage registration tokens (shown once).
 */
export function AgentsPage() {
  const session = useSession();
  const admin = session.can("admin");
  const agents = useAsync((signal) => agentsApi.list(signal), []);
  const now = useNow(true, 15_000);
  // Status and running jobs change by themselves: the list follows them.
  usePolling(!agents.error, agents.reload, 5000);

  const setDisabled = async (agent: Agent, disabled: boolean) => {
    await agentsApi.setDisabled(agent.name, disabled);
    agents.reload();
  };
  const remove = async (agent: Agent) => {
    await agentsApi.remove(agent.name);
    agents.reload();
  };

  return (
    <AppShell crumbs={[{ label: "Agents" }]}>
      <h1>Agents</h1>
      <div className="admin">
        <section aria-labelledby="agents-heading">
          <h2 id="agents-heading" className="visually-hidden">
            Agents
          </h2>
          {agents.error && <ErrorNotice error={agents.error} />}
          {!agents.data && !agents.error && <Loading what="Loading agents" />}
          {agents.data && (
            <AgentsTable agents={agents.data} now={now} canManage={admin} onSetDisabled={setDisabled} onDelete={remove} />
          )}
        </section>
        {admin && <RegistrationTokensSection />}
      </div>
    </AppShell>
  );
}

function RegistrationTokensSection() {
  const tokens = useAsync((signal) => agentsApi.tokens(signal), []);
  // The one place the new token lives, until the panel is dismissed.
  const [created, setCreated] = useState<CreatedRegistrationToken | null>(null);
  const reload = tokens.reload;

  const create = useCallback(
    async (name: string) => {
      setCreated(await agentsApi.createToken(name));
      reload();
    },
    [reload],
  );
  const revoke = async (token: RegistrationToken) => {
    await agentsApi.revokeToken(token.id);
    reload();
  };

  return (
    <section aria-labelledby="registration-tokens-heading">
      <h2 id="registration-tokens-heading">Registration tokens</h2>
      <p className="hint">
        An agent presents a registration token once, at its first start, and gets its own credential. One token registers
        any number of agents until it is revoked.
      </p>
      {created && <CreatedRegistrationTokenPanel created={created} onDismiss={() => setCreated(null)} />}
      {tokens.error && <ErrorNotice error={tokens.error} />}
      {!tokens.data && !tokens.error && <Loading what="Loading registration tokens" />}
      {tokens.data && <RegistrationTokensTable tokens={tokens.data} onRevoke={revoke} />}
      <h3>New registration token</h3>
      <NewRegistrationTokenForm onCreate={create} />
    </section>
  );
}
