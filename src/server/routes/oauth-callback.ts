/**
 * Where Jira sends the administrator's browser after Allow (OAuth 1.0a and 2.0 alike). The
 * exchange completes here by itself, then the browser goes to the instance page in the UI;
 * a failure gets a plain page that says what happened and what to do. The query carries
 * the verifier and token: it is never logged, and the answer is never cached or referred.
 */
import { callbackInstanceId, handleOAuthCallback } from '../../integration/callback.js';
import type { ConnectionDeps } from '../../integration/deps.js';
import { userActor } from '../../integration/pending.js';
import { AppError } from '../../errors.js';
import type { AppEnv, RouteRegistrar } from '../types.js';
import type { Context } from 'hono';

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!,
  );

/** The UI's page for one instance (history routes under /admin). */
export const instancePagePath = (id: string) => `/admin/jira/instances/${encodeURIComponent(id)}`;

function errorPage(message: string, hint: string | undefined, back: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Jira authorization failed - Testbridge</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">
<h1>Jira authorization failed</h1>
<p id="error-message">${escapeHtml(message)}</p>
${hint ? `<p id="error-hint"><strong>What to do:</strong> ${escapeHtml(hint)}</p>` : ''}
<p><a href="${escapeHtml(back)}">Back to the Jira instance</a></p>
</body></html>`;
}

export function oauthCallbackRoutes(): RouteRegistrar {
  return (app, appDeps) => {
    const deps: ConnectionDeps = appDeps;
    const handler = async (c: Context<AppEnv>) => {
      c.header('Cache-Control', 'no-store');
      c.header('Referrer-Policy', 'no-referrer');
      const params = new URL(c.req.url).searchParams;
      const user = c.get('user');
      try {
        const result = await handleOAuthCallback(deps, params, user ? userActor(user.id) : undefined);
        return c.redirect(`${instancePagePath(result.instanceId)}?authorized=1`, 302);
      } catch (e) {
        const log = c.get('log');
        const instanceId = await callbackInstanceId(deps, params).catch(() => undefined);
        const back = instanceId ? instancePagePath(instanceId) : '/admin/jira';
        if (e instanceof AppError) {
          log.warn({ code: e.code, instanceId }, 'OAuth callback refused');
          return c.html(errorPage(e.message, e.hint, back), e.status >= 500 ? 502 : (e.status as 400));
        }
        log.error({ err: e, instanceId }, 'OAuth callback failed');
        return c.html(
          errorPage(
            'Testbridge failed while completing the authorization.',
            'Start the authorization again; if it keeps failing, look for "OAuth callback failed" in the server log.',
            back,
          ),
          500,
        );
      }
    };
    app.get('/oauth/callback', handler);
    // The OAuth 2.0 module's examples register /oauth2/callback; accept both.
    app.get('/oauth2/callback', handler);
  };
}
