import { useSession } from "../../hooks/session";
import { Link } from "../../routing/router";
import { paths } from "../../routing/paths";

export type ProjectTab = "runs" | "environments" | "deliveries" | "secrets" | "settings";

/** The pages of one project: its runs, its environments, its webhook deliveries. */
export function ProjectTabs({ project, current }: { project: string; current: ProjectTab }) {
  const tabs: { tab: ProjectTab; label: string; to: string }[] = [
    { tab: "runs", label: "Runs", to: paths.projectRuns(project) },
    { tab: "environments", label: "Environments", to: paths.environments(project) },
    { tab: "deliveries", label: "Webhook deliveries", to: paths.deliveries(project) },
  ];
  // Secrets and settings are for admins.
  if (useSession().can("admin")) {
    tabs.push({ tab: "secrets", label: "Secrets", to: paths.projectSecrets(project) }, { tab: "settings", label: "Settings", to: paths.projectSettings(project) });
  }
  return (
    <nav className="project-tabs" aria-label={`Pages of ${project}`}>
      {tabs.map(({ tab, label, to }) => (
        <Link key={tab} to={to} className="project-tab" aria-current={tab === current ? "page" : undefined}>
          {label}
        </Link>
      ))}
    </nav>
  );
}
