import type { Hono } from 'hono';
import type { SimEnv } from '../context.js';
import type { Core } from '../core.js';
import { NOT_AUTHENTICATED, jiraError, readJsonObject } from '../http.js';
import { patJson } from './store.js';

/** Jira Server/DC's personal access token API (`/rest/pat/latest/tokens`); Cloud has none. */
export function registerPatRoutes(app: Hono<SimEnv>, core: Core): void {
  const { ctx } = core;
  app.post('/rest/pat/latest/tokens', async (c) => {
    const user = c.get('user');
    if (!user) return jiraError(c, 401, [NOT_AUTHENTICATED]);
    const body = await readJsonObject(c);
    const name = typeof body?.name === 'string' ? body.name.trim() : '';
    if (!name) return jiraError(c, 400, [], { name: 'Token name is required.' });
    const duration = body?.expirationDuration;
    if (
      duration !== undefined &&
      (typeof duration !== 'number' || !Number.isInteger(duration) || duration < 1 || duration > 365)
    ) {
      return jiraError(c, 400, [], {
        expirationDuration: 'Expiry must be a whole number of days from 1 to 365.',
      });
    }
    const token = core.pats.create(
      { name, userName: user.name, ...(typeof duration === 'number' ? { expirationDays: duration } : {}) },
      ctx.clock.now(),
    );
    return c.json(patJson(token, true), 201);
  });
  app.get('/rest/pat/latest/tokens', (c) => {
    const user = c.get('user');
    if (!user) return jiraError(c, 401, [NOT_AUTHENTICATED]);
    return c.json(core.pats.list(user.name).map((token) => patJson(token)));
  });
  app.delete('/rest/pat/latest/tokens/:id', (c) => {
    const user = c.get('user');
    if (!user) return jiraError(c, 401, [NOT_AUTHENTICATED]);
    const token = core.pats.get(Number(c.req.param('id')));
    if (!token || (token.userName !== user.name && !ctx.hasPermission(user, 'ADMINISTER'))) {
      return jiraError(c, 404, ['Personal access token not found.']);
    }
    core.pats.delete(token.id);
    return c.body(null, 204);
  });
}
