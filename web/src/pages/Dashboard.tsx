import { listJiraInstances, type User } from '../api.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Page } from '../components/Page.js';
import { Link } from '../router.js';
import { useLoad } from '../useLoad.js';

function IntegrationHealth() {
  const [instances] = useLoad(listJiraInstances);
  if (instances.status === 'loading') return <p className="muted">Checking the Jira integration…</p>;
  if (instances.status === 'error') return <ErrorNotice error={instances.error} />;
  if (instances.data === 'unavailable' || instances.data.length === 0) {
    return (
      <p>
        No Jira instance is connected. <Link to="/admin/jira">Connect one</Link> to start.
      </p>
    );
  }
  const failing = instances.data.filter((i) => i.lastDiagnostics && !i.lastDiagnostics.ok).length;
  return (
    <p>
      {instances.data.length} Jira {instances.data.length === 1 ? 'instance' : 'instances'} connected;{' '}
      {failing === 0 ? 'all passed their last diagnostics.' : `${failing} failed their last diagnostics.`}{' '}
      <Link to="/admin/jira">Details</Link>
    </p>
  );
}

export function Dashboard({ user }: { user: User }) {
  if (user.role !== 'admin') {
    return (
      <Page title="Dashboard">
        <div className="cards">
          <section className="card" aria-labelledby="projects-title">
            <h2 id="projects-title">Your work</h2>
            <p>
              Test cases, executions and the Jira requirements they cover live in{' '}
              <Link to="/projects">Projects</Link>.
            </p>
          </section>
        </div>
      </Page>
    );
  }
  return (
    <Page title="Dashboard">
      <div className="cards">
        <section className="card" aria-labelledby="health-title">
          <h2 id="health-title">Jira integration</h2>
          <IntegrationHealth />
        </section>
        <section className="card" aria-labelledby="start-title">
          <h2 id="start-title">Getting started</h2>
          <ol className="steps">
            <li>
              <Link to="/admin/keys">Generate an RSA key pair</Link> for Jira's application link.
            </li>
            <li>
              <Link to="/admin/jira/new">Add your Jira instance</Link> and authorize Testbridge.
            </li>
            <li>
              Map a Jira project to a Testbridge <Link to="/projects">project</Link>.
            </li>
          </ol>
        </section>
      </div>
    </Page>
  );
}
