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
