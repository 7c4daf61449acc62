import { useEffect } from "react";
import { Loading } from "./components/common/Notice";
import { AccountPage } from "./pages/AccountPage";
import { AdminUsersPage } from "./pages/AdminUsersPage";
import { AgentsPage } from "./pages/AgentsPage";
import { getCsrfToken, getToken } from "./api/session";
import { useSession } from "./hooks/session";
import { DeliveriesPage } from "./pages/DeliveriesPage";
import { EnvironmentsPage } from "./pages/EnvironmentsPage";
import { NewProjectPage } from "./pages/NewProjectPage";
import { LogSearchPage } from "./pages/LogSearchPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { ProjectSecretsPage } from "./pages/ProjectSecretsPage";
import { ProjectSettingsPage } from "./pages/ProjectSettingsPage";
import { ProjectRunsPage } from "./pages/ProjectRunsPage";
import { ProjectsPage } from "./pages/ProjectsPage";
import { PullRequestPage } from "./pages/PullRequestPage";
import { RunDetailPage } from "./pages/RunDetailPage";
import { SignInPage } from "./pages/SignInPage";
import { matchRoute, navigate, useLocation } from "./routing/router";
import { paths, routes } from "./routing/paths";

/** Routes to pages; without a sign-in, and without anonymous reading, every page leads to sign-in. */
export function App() {
  const { path, search } = useLocation();
  const session = useSession();
  const match = matchRoute(path, routes);
  const mustSignIn = !session.loading && !session.signedIn && !session.me?.anonymousRead && match?.name !== "signIn";

  useEffect(() => {
    // The whole address comes back after signing in, a log line's anchor (#L9) included.
    if (mustSignIn) navigate(paths.signIn(path + (search.size ? `?${search}` : "") + window.location.hash), { replace: true });
  }, [mustSignIn, path, search]);

  // With a token or a session cookie, pages render while the server confirms who it is: the role only adds buttons later.
  if ((session.loading && !getToken() && !getCsrfToken()) || mustSignIn) return <Loading />;
  const params = match?.params ?? {};
  switch (match?.name) {
    case "projects":
      return <ProjectsPage />;
    case "projectRuns":
      return <ProjectRunsPage project={params.project ?? ""} />;
    case "newProject":
      return <NewProjectPage />;
    case "projectSettings":
      return <ProjectSettingsPage project={params.project ?? ""} />;
    case "projectSecrets":
      return <ProjectSecretsPage project={params.project ?? ""} />;
    case "environments":
      return <EnvironmentsPage project={params.project ?? ""} />;
    case "deliveries":
      return <DeliveriesPage project={params.project ?? ""} />;
    case "pullRequest":
      return <PullRequestPage project={params.project ?? ""} number={Number(params.number)} />;
    case "projectRun":
    case "projectJob": {
      const address = { project: params.project ?? "", number: Number(params.number) };
      return <RunDetailPage key={`${address.project}#${address.number}`} address={address} job={params.job} />;
    }
    case "run":
    case "job":
      return <RunDetailPage key={params.id} address={{ id: Number(params.id) }} job={params.job} />;
    case "adminUsers":
      return <AdminUsersPage />;
    case "agents":
      return <AgentsPage />;
    case "account":
      return <AccountPage />;
    case "logSearch":
      return <LogSearchPage />;
    case "signIn":
      return <SignInPage />;
    default:
      return <NotFoundPage />;
  }
}
