import { accountsRoutes } from '../accounts/routes.js';
import { requireAdmin } from '../accounts/middleware.js';
import { defectsFilingRoutes } from './routes/defects-filing.js';
import { jiraInstancesRoutes } from './routes/jira-instances.js';
import { keysRoutes } from './routes/keys.js';
import { mappingsRoutes } from './routes/mappings.js';
import { oauthCallbackRoutes } from './routes/oauth-callback.js';
import { projectsRoutes } from './routes/projects.js';
import { webhooksReceiverRoutes } from './routes/webhooks-receiver.js';
import { inboxRoutes } from '../sync/inbox-routes.js';
import { webUi } from './static.js';
import type { RouteRegistrar } from './types.js';

/**
 * Every capability's HTTP routes, in registration order. To add yours, export a
 * `RouteRegistrar` from your capability and append it here (before the web UI, which
 * claims whatever is left). Protect routes with `requireUser` / `requireAdmin` from
 * src/accounts/middleware.ts; `c.get('user')` is the signed-in user.
 */
export const routeRegistrars: RouteRegistrar[] = [
  accountsRoutes(),
  (app) => {
    app.route('/api/keys', keysRoutes({ requireAdmin }));
  },
  jiraInstancesRoutes(),
  oauthCallbackRoutes(),
  webhooksReceiverRoutes(),
  projectsRoutes(),
  mappingsRoutes(),
  inboxRoutes(),
  defectsFilingRoutes(),
  // Last: the admin UI answers only GET/HEAD paths no API route claimed.
  (app) => {
    app.use('*', webUi());
  },
];
