import { useCallback, useEffect, useState } from 'react';
import { getSession, onUnauthorized, type Session, signOut, type User } from './api.js';
import { ErrorNotice } from './components/ErrorNotice.js';
import { Layout } from './components/Layout.js';
import { Dashboard } from './pages/Dashboard.js';
import { JiraIntegration, NewJiraInstance } from './pages/JiraIntegration.js';
import { KeyGenerator } from './pages/KeyGenerator.js';
import { AdminOnly, NotFound } from './pages/NotFound.js';
import { Projects } from './pages/Projects.js';
import { SignIn } from './pages/SignIn.js';
import { jiraRoute } from './jira-routes.js';
import { usePath } from './router.js';

type SessionState =
  | { kind: 'loading' }
  | { kind: 'failed'; error: unknown }
  | { kind: 'signed-out' }
  | { kind: 'signed-in'; session: Session };

function route(path: string, user: User) {
  // The server refuses administration APIs to testers; say so once instead of a page of errors.
  if (user.role !== 'admin' && /^\/admin(\/|$)/.test(path)) return <AdminOnly />;
  const jira = jiraRoute(path);
  if (jira) return jira;
  switch (path.replace(/\/+$/, '') || '/') {
    case '/':
      return <Dashboard user={user} />;
    case '/projects':
      return <Projects />;
    case '/admin/jira':
      return <JiraIntegration />;
    case '/admin/jira/new':
      return <NewJiraInstance />;
    case '/admin/keys':
      return <KeyGenerator />;
    default:
      return <NotFound />;
  }
}

export function App() {
  const [state, setState] = useState<SessionState>({ kind: 'loading' });
  const path = usePath();

  const load = useCallback(() => {
    setState({ kind: 'loading' });
    getSession().then(
      (session) => setState(session ? { kind: 'signed-in', session } : { kind: 'signed-out' }),
      (error: unknown) => setState({ kind: 'failed', error }),
    );
  }, []);

  useEffect(load, [load]);
  useEffect(() => onUnauthorized(() => setState({ kind: 'signed-out' })), []);

  const handleSignOut = () => {
    // Whatever the server says, this browser is signed out from the user's point of view.
    signOut().finally(() => setState({ kind: 'signed-out' }));
  };

  switch (state.kind) {
    case 'loading':
      return (
        <main className="center" id="main" aria-busy="true">
          <p className="muted">Loading Testbridge…</p>
        </main>
      );
    case 'failed':
      return (
        <main className="center" id="main">
          <div className="card">
            <h1>Testbridge is not answering</h1>
            <ErrorNotice error={state.error} />
            <button type="button" className="button button-primary" onClick={load}>
              Try again
            </button>
          </div>
        </main>
      );
    case 'signed-out':
      return <SignIn onSignedIn={(session) => setState({ kind: 'signed-in', session })} />;
    case 'signed-in':
      return (
        <Layout user={state.session.user} onSignOut={handleSignOut}>
          {route(path, state.session.user)}
        </Layout>
      );
  }
}
