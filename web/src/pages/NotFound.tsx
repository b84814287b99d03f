import { Page } from '../components/Page.js';
import { Link } from '../router.js';

export function NotFound() {
  return (
    <Page title="Page not found">
      <p>There is no page at this address. It may have moved, or the link may be mistyped.</p>
      <p>
        <Link to="/">Go to the dashboard</Link>
      </p>
    </Page>
  );
}

export function AdminOnly() {
  return (
    <Page title="For administrators only">
      <p>This page manages Testbridge's Jira connections and keys, which only administrators may change.</p>
      <p>
        Ask an administrator if you need something here, or <Link to="/">go to the dashboard</Link>.
      </p>
    </Page>
  );
}
