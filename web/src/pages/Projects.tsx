import { EmptyState, Page } from '../components/Page.js';
import { Link } from '../router.js';

export function Projects() {
  return (
    <Page title="Projects">
      <EmptyState title="No projects yet">
        <p>
          Projects appear here once a Jira instance is connected and one of its projects is mapped to
          Testbridge.
        </p>
        <Link to="/admin/jira" className="button">
          Go to Jira Integration
        </Link>
      </EmptyState>
    </Page>
  );
}
