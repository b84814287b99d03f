import { type JiraInstance, listJiraInstances } from '../api.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { EmptyState, Page } from '../components/Page.js';
import { Link } from '../router.js';
import { useLoad } from '../useLoad.js';

const AUTH_MODES: Record<string, string> = {
  oauth1: 'OAuth 1.0a (application link)',
  'oauth2-cloud': 'OAuth 2.0 (Jira Cloud)',
  'oauth2-dc': 'OAuth 2.0 (Data Center)',
  pat: 'Personal access token',
  basic: 'API token',
};

const STATUSES: Record<string, { label: string; tone: 'good' | 'bad' | 'warn' | 'neutral' }> = {
  connected: { label: 'Connected', tone: 'good' },
  setup: { label: 'Setup not finished', tone: 'neutral' },
  warning: { label: 'Warning', tone: 'warn' },
  failing: { label: 'Failing', tone: 'bad' },
  needs_reauthorization: { label: 'Needs authorization', tone: 'bad' },
};

function StatusBadge({ status }: { status: string }) {
  const known = STATUSES[status] ?? { label: status, tone: 'neutral' };
  return <span className={`badge badge-${known.tone}`}>{known.label}</span>;
}

function InstancesTable({ instances }: { instances: JiraInstance[] }) {
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">Jira instances</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">URL</th>
            <th scope="col">Auth mode</th>
            <th scope="col">Status</th>
            <th scope="col">Last diagnostics</th>
            <th scope="col">Mappings</th>
          </tr>
        </thead>
        <tbody>
          {instances.map((i) => (
            <tr key={i.id}>
              <th scope="row">
                <Link to={`/admin/jira/instances/${encodeURIComponent(i.id)}`}>{i.name}</Link>
              </th>
              <td>
                <span className="url">{i.baseUrl}</span>
              </td>
              <td>{AUTH_MODES[i.authMode] ?? i.authMode}</td>
              <td>
                <StatusBadge status={i.status} />
                {i.statusMessage ? <p className="muted small cell-note">{i.statusMessage}</p> : null}
              </td>
              <td>
                {i.lastDiagnostics ? (
                  <>
                    {i.lastDiagnostics.ok ? 'Passed' : 'Failed'} ·{' '}
                    <time dateTime={i.lastDiagnostics.at}>
                      {new Date(i.lastDiagnostics.at).toLocaleString()}
                    </time>
                  </>
                ) : (
                  <span className="muted">Not run yet</span>
                )}
              </td>
              <td>{i.mappings ?? 0}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const AddButton = () => (
  <Link to="/admin/jira/new" className="button button-primary">
    <span aria-hidden="true">+ </span>Add Jira instance
  </Link>
);

export function JiraIntegration() {
  const [instances, reload] = useLoad(listJiraInstances);
  return (
    <Page title="Jira Integration" actions={<AddButton />}>
      <p className="lead">
        The Jira sites Testbridge is connected to, how each one signs in, and whether its last check passed.
      </p>
      {instances.status === 'loading' ? (
        <p className="muted" aria-busy="true">
          Loading Jira instances…
        </p>
      ) : instances.status === 'error' ? (
        <>
          <ErrorNotice error={instances.error} />
          <button type="button" className="button" onClick={reload}>
            Try again
          </button>
        </>
      ) : instances.data === 'unavailable' ? (
        <EmptyState title="Jira connections are not available on this server yet">
          <p>
            This Testbridge server does not offer the Jira instances API yet. You can already prepare the RSA
            keys Jira's application link needs.
          </p>
          <Link to="/admin/keys" className="button">
            Open the key generator
          </Link>
        </EmptyState>
      ) : instances.data.length === 0 ? (
        <EmptyState title="No Jira instance yet">
          <p>
            Connect a Jira Cloud, Server or Data Center site to import its projects, versions and issues and
            to file defects back into it.
          </p>
          <AddButton />
        </EmptyState>
      ) : (
        <InstancesTable instances={instances.data} />
      )}
    </Page>
  );
}

/** The wizard's entry point; its steps arrive with the connections API. */
export function NewJiraInstance() {
  return (
    <Page title="Add a Jira instance">
      <p className="lead">Connecting a Jira site with OAuth 1.0a takes three things:</p>
      <ol className="steps">
        <li>
          An RSA key pair: <Link to="/admin/keys">generate it here</Link> and download the three files.
        </li>
        <li>
          An application link in Jira (Settings → Products → Application links) with a consumer key and the
          public key.
        </li>
        <li>The Jira address, the consumer key and the private key, entered in this wizard.</li>
      </ol>
      <div className="notice notice-info" role="status">
        <p className="notice-message">The connection wizard is not available on this server yet.</p>
        <p className="notice-hint">
          Prepare the keys now; this page will walk you through the rest once the Jira connections feature is
          installed.
        </p>
      </div>
      <p>
        <Link to="/admin/jira">Back to Jira Integration</Link>
      </p>
    </Page>
  );
}
