import { useCallback, useEffect, useState } from 'react';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { EmptyState, Page } from '../components/Page.js';
import {
  getProject,
  listReleases,
  listRequirements,
  type ProjectDetail,
  type ReleaseRow,
  type RequirementRow,
} from '../jira-api.js';

/** A project's synced requirements and releases; refreshed while open so webhook changes show up. */
export function ProjectDetailPage({ id }: { id: string }) {
  const [project, setProject] = useState<ProjectDetail | null>(null);
  const [reqs, setReqs] = useState<{ items: RequirementRow[]; total: number } | null>(null);
  const [releases, setReleases] = useState<ReleaseRow[] | null>(null);
  const [query, setQuery] = useState('');
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(() => {
    Promise.all([getProject(id), listRequirements(id, query), listReleases(id)]).then(
      ([p, r, rel]) => {
        setProject(p);
        setReqs(r);
        setReleases(rel.releases);
        setError(null);
      },
      (err: unknown) => setError(err),
    );
  }, [id, query]);
  useEffect(load, [load]);
  useEffect(() => {
    const timer = setInterval(load, 2000);
    return () => clearInterval(timer);
  }, [load]);

  return (
    <Page title={project ? `${project.key} · ${project.name}` : 'Project'}>
      {error ? <ErrorNotice error={error} /> : null}
      <section className="panel" aria-labelledby="requirements-title">
        <div className="panel-header">
          <h2 id="requirements-title">
            Requirements {reqs ? <span className="muted">({reqs.total})</span> : null}
          </h2>
          <div className="field inline-field">
            <label htmlFor="req-search">Search</label>
            <input id="req-search" type="search" value={query} onChange={(e) => setQuery(e.target.value)} />
          </div>
        </div>
        {reqs && reqs.items.length === 0 ? (
          <EmptyState title={query ? 'No requirement matches' : 'No requirements yet'}>
            <p>Requirements appear here as the Jira import runs and when Jira sends changes.</p>
          </EmptyState>
        ) : null}
        {reqs && reqs.items.length > 0 ? (
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">Requirements</caption>
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Summary</th>
                  <th scope="col">Type</th>
                  <th scope="col">Status</th>
                  <th scope="col">Priority</th>
                </tr>
              </thead>
              <tbody>
                {reqs.items.map((r) => (
                  <tr key={r.id}>
                    <th scope="row">
                      <code>{r.jiraKey}</code>
                    </th>
                    <td>{r.summary}</td>
                    <td>{r.issueType}</td>
                    <td>{r.status}</td>
                    <td>{r.priority}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {reqs.total > reqs.items.length ? (
              <p className="muted small">
                Showing {reqs.items.length} of {reqs.total}; search to narrow down.
              </p>
            ) : null}
          </div>
        ) : null}
      </section>
      <section className="panel" aria-labelledby="releases-title">
        <h2 id="releases-title">Releases</h2>
        {releases && releases.length === 0 ? <p className="muted">No releases (Jira versions) yet.</p> : null}
        {releases && releases.length > 0 ? (
          <ul className="releases">
            {releases.map((r) => (
              <li key={r.id}>
                <strong>{r.name}</strong>{' '}
                <span className="muted small">
                  {r.released ? 'released' : 'unreleased'}
                  {r.archived ? ', archived' : ''}
                  {r.releaseDate ? ` · ${r.releaseDate}` : ''}
                </span>
              </li>
            ))}
          </ul>
        ) : null}
      </section>
    </Page>
  );
}
