/**
 * REST API of project mappings (administrators): create (checked against Jira, webhook
 * registered, import started), read with health, list per instance, remove, reconcile now,
 * check/repair the webhook, and the Jira projects to choose from. (The inbox endpoints under
 * /api/mappings/:id/inbox live in src/sync/inbox-routes.ts.)
 */
import type { Context } from 'hono';
import { requireAdmin } from '../../accounts/middleware.js';
import { AppError } from '../../errors.js';
import type { SyncDeps } from '../../integration/mappings-calls.js';
import {
  createMapping,
  deleteMapping,
  getMappingView,
  jiraProjectsOf,
  listMappings,
  MAPPING_EXAMPLE,
  mappingInputSchema,
  tryEnsureWebhook,
} from '../../integration/mappings.js';
import { requireMappingRow } from '../../integration/mappings-model.js';
import { reconcileMapping } from '../../sync/reconcile.js';
import { schedulerFor } from '../../sync/scheduler.js';
import { readJson } from '../json.js';
import type { AppEnv, RouteRegistrar } from '../types.js';

export function mappingsRoutes(): RouteRegistrar {
  return (app, appDeps) => {
    const deps: SyncDeps = appDeps;
    const db = deps.store.db;
    app.use('/api/mappings', requireAdmin);
    app.use('/api/mappings/*', requireAdmin);
    const noStore = async (c: Context<AppEnv>, next: () => Promise<void>) => {
      await next();
      // Views carry the webhook URL, whose token is the webhook's credential.
      c.header('Cache-Control', 'no-store');
    };
    app.use('/api/mappings', noStore);
    app.use('/api/mappings/*', noStore);

    app.post('/api/mappings', async (c) => {
      const input = await readJson(c, mappingInputSchema, MAPPING_EXAMPLE);
      const view = await createMapping(deps, input);
      schedulerFor(deps.store)?.kick(view.id);
      return c.json(view, 201);
    });
    app.get('/api/mappings/:id', async (c) => c.json(await getMappingView(deps, c.req.param('id'))));
    app.delete('/api/mappings/:id', async (c) => c.json(await deleteMapping(deps, c.req.param('id'))));
    app.post('/api/mappings/:id/reconcile', async (c) => {
      const row = await requireMappingRow(db, c.req.param('id'));
      if (row.import_state !== 'done') {
        throw new AppError(
          'import_not_finished',
          'This mapping’s import has not finished; reconciling starts after it.',
          {
            status: 409,
            hint: 'Watch the import progress in GET /api/mappings/:id (health.import).',
          },
        );
      }
      return c.json(await reconcileMapping(deps, row.id, { idScan: true }));
    });
    app.post('/api/mappings/:id/import', async (c) => {
      const row = await requireMappingRow(db, c.req.param('id'));
      if (row.import_state === 'done' || row.import_state === 'failed')
        await db
          .updateTable('sync_mappings')
          .set({
            import_state: row.import_state === 'done' ? 'pending' : 'running',
            updated_at: new Date().toISOString(),
          })
          .where('id', '=', row.id)
          .execute();
      schedulerFor(deps.store)?.kick(row.id);
      return c.json(await getMappingView(deps, row.id), 202);
    });
    app.post('/api/mappings/:id/webhook/check', async (c) => {
      const row = await requireMappingRow(db, c.req.param('id'));
      const result = await tryEnsureWebhook(deps, row.id);
      return c.json({ result: result ?? null, mapping: await getMappingView(deps, row.id) });
    });
    // Under the instances API (already admin-only there).
    app.get('/api/jira/instances/:id/mappings', async (c) =>
      c.json({ mappings: await listMappings(deps, c.req.param('id')) }),
    );
    app.get('/api/jira/instances/:id/projects', async (c) =>
      c.json({ projects: await jiraProjectsOf(deps, c.req.param('id')) }),
    );
  };
}
