import { api, query } from "../api/client";
import { ErrorNotice, Loading } from "../components/common/Notice";
import { Pager } from "../components/common/Pager";
import { DeliveriesTable } from "../components/Deliveries/DeliveriesTable";
import { pendingOutcomes } from "../components/Deliveries/deliveryOutcomes";
import { AppShell } from "../components/Layout/AppShell";
import { ProjectTabs } from "../components/Layout/ProjectTabs";
import { useSession } from "../hooks/session";
import { useAction } from "../hooks/useAction";
import { useAsync } from "../hooks/useAsync";
import { useNow } from "../hooks/useNow";
import { usePolling } from "../hooks/usePolling";
import { Link, navigate, useLocation } from "../routing/router";
import { paths } from "../routing/paths";

/** What happened to a project's webhooks: every delivery, newest first, and (admins) sending one again. */
export function DeliveriesPage({ project }: { project: string }) {
  const session = useSession();
  const crumbs = [{ label: "Projects", to: paths.projects() }, { label: project, to: paths.projectRuns(project) }, { label: "Webhook deliveries" }];
  return (
    <AppShell crumbs={crumbs}>
      <h1>Webhook deliveries of {project}</h1>
      <ProjectTabs project={project} current="deliveries" />
      {session.loading ? (
        <Loading what="Checking who you are" />
      ) : session.can("developer") ? (
        <Deliveries project={project} canRedeliver={session.can("admin")} />
      ) : (
        <div className="notice" role="status">
          <strong>Developers and admins see a project's webhook deliveries.</strong>{" "}
          {session.me?.role ? `You are signed in as ${session.me.name} (${session.me.role}).` : "You are not signed in."}{" "}
          {!session.me?.role && <Link to={paths.signIn(paths.deliveries(project))}>Sign in</Link>}
        </div>
      )}
    </AppShell>
  );
}

function Deliveries({ project, canRedeliver }: { project: string; canRedeliver: boolean }) {
  const { search } = useLocation();
  const page = Number(search.get("page") ?? "1") || 1;
  const deliveries = useAsync(() => api.deliveries(project, page), [project, page]);
  const action = useAction();
  const pending = deliveries.data?.items.some((delivery) => pendingOutcomes.has(delivery.outcome)) ?? false;
  usePolling(pending, deliveries.reload);
  const now = useNow(true, 30_000);

  return (
    <>
      {action.error && <ErrorNotice error={action.error} />}
      {deliveries.error && <ErrorNotice error={deliveries.error} />}
      {!deliveries.data && !deliveries.error && <Loading what="Loading deliveries" />}
      {deliveries.data && (
        <>
          <DeliveriesTable
            project={project}
            deliveries={deliveries.data.items}
            now={now}
            busy={action.busy ? Number(action.busy) : null}
            onRedeliver={
              canRedeliver
                ? (delivery) =>
                    void action.run(String(delivery.id), () => api.redeliver(project, delivery.id)).then((ok) => ok && deliveries.reload())
                : undefined
            }
          />
          <Pager
            page={deliveries.data.page}
            pageSize={deliveries.data.pageSize}
            total={deliveries.data.total}
            noun={["delivery", "deliveries"]}
            onPage={(next) => navigate(paths.deliveries(project, query({ page: next === 1 ? undefined : next })))}
          />
        </>
      )}
    </>
  );
}
