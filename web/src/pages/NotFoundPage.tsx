import { AppShell } from "../components/Layout/AppShell";
import { Link } from "../routing/router";
import { paths } from "../routing/paths";

export function NotFoundPage() {
  return (
    <AppShell crumbs={[{ label: "Not found" }]}>
      <h1>Nothing here</h1>
      <p>
        This address shows no page. <Link to={paths.projects()}>See all projects</Link>.
      </p>
    </AppShell>
  );
}
