import { listProjects, type Project } from '../api.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { EmptyState, Page } from '../components/Page.js';
import { Link } from '../router.js';
import { useLoad } from '../useLoad.js';

function ProjectsTable({ projects }: { projects: Project[] }) {
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">Projects</caption>
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Name</th>
            <th scope="col">Jira project</th>
          </tr>
        </thead>
        <tbody>
          {projects.map((p) => (
            <tr key={p.id}>
              <th scope="row">
                <code>{p.key}</code>
              </th>
              <td>
                {p.name}
                {p.description ? <p className="muted small cell-note">{p.description}</p> : null}
              </td>
              <td>
                {p.mapping ? (
                  <>
                    <code>{p.mapping.jiraProjectKey}</code>{' '}
                    <span className="muted small">({p.mapping.state})</span>
                  </>
                ) : (
                  <span className="muted">Not mapped</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Projects() {
  const [projects, reload] = useLoad(listProjects);
  return (
    <Page title="Projects">
      {projects.status === 'loading' ? (
        <p className="muted" aria-busy="true">
          Loading projects…
        </p>
      ) : projects.status === 'error' ? (
        <>
          <ErrorNotice error={projects.error} />
          <button type="button" className="button" onClick={reload}>
            Try again
          </button>
        </>
      ) : projects.data === 'unavailable' || projects.data.length === 0 ? (
        <EmptyState title="No projects yet">
          <p>
            Projects appear here once a Jira instance is connected and one of its projects is mapped to
            Testbridge.
          </p>
          <Link to="/admin/jira" className="button">
            Go to Jira Integration
          </Link>
        </EmptyState>
      ) : (
        <ProjectsTable projects={projects.data} />
      )}
    </Page>
  );
}
