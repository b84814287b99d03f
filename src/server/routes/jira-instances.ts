/**
 * REST API for Jira connections, under /api/jira/instances (administrators only). Answers
 * are the views of src/integration: facts, fingerprints and "set" flags, never a secret,
 * and never cached.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { currentUser, requireAdmin } from '../../accounts/middleware.js';
import { applicationLinkGuide } from '../../integration/application-link.js';
import { completeOAuth1Authorization } from '../../integration/authorize-oauth1.js';
import { startAuthorization } from '../../integration/callback.js';
import type { ConnectionDeps } from '../../integration/deps.js';
import { detectDeployment } from '../../integration/detect.js';
import { runDiagnostics } from '../../integration/diagnostics/run.js';
import type { DiagnosticsReport } from '../../integration/diagnostics/types.js';
import {
  createInstance,
  getInstance,
  instanceInputSchema,
  instanceUpdateSchema,
  instanceView,
  listInstances,
  mappingCounts,
  removeInstance,
  updateInstance,
} from '../../integration/instances.js';
import { latestPending, userActor } from '../../integration/pending.js';
import { readJson } from '../json.js';
import type { AppEnv, RouteRegistrar } from '../types.js';

const CREATE_EXAMPLE =
  '{"name": "Jira", "jiraUrl": "https://jira.example.com", "auth": {"mode": "oauth1", "consumerKey": "testbridge"}}';

const authorizeBody = z.object({ oob: z.boolean().optional() }).strict();
const verifyBody = z.object({ verifier: z.string().max(500) }).strict();
const diagnosticsBody = z
  .object({
    projectKeys: z
      .array(
        z
          .string()
          .trim()
          .regex(/^[A-Za-z][A-Za-z0-9_]{0,49}$/),
      )
      .max(100)
      .optional(),
  })
  .strict();

export function jiraInstancesRoutes(): RouteRegistrar {
  return (app, appDeps) => {
    const deps: ConnectionDeps = appDeps;
    const base = '/api/jira/instances';
    app.use(`${base}`, requireAdmin);
    app.use(`${base}/*`, requireAdmin);
    const noStore = async (c: Context<AppEnv>, next: () => Promise<void>) => {
      await next();
      c.header('Cache-Control', 'no-store');
    };
    app.use(`${base}`, noStore);
    app.use(`${base}/*`, noStore);

    app.get(base, async (c) => {
      const rows = await listInstances(deps.store.db);
      const mapped = await mappingCounts(deps.store.db);
      return c.json({ instances: rows.map((row) => instanceView(row, mapped.get(row.id) ?? 0)) });
    });

    app.post(base, async (c) => {
      const input = await readJson(c, instanceInputSchema, CREATE_EXAMPLE);
      const row = await createInstance(deps, input, { createdBy: currentUser(c).id });
      // Credentials that need no authorization are checked straight away.
      const diagnostics =
        row.auth_mode === 'pat' || row.auth_mode === 'basic' ? await runDiagnostics(deps, row.id) : undefined;
      const fresh = await getInstance(deps.store.db, row.id);
      return c.json(
        {
          instance: instanceView(fresh),
          ...(row.auth_mode === 'oauth1' ? { applicationLink: applicationLinkGuide(deps, fresh) } : {}),
          ...(diagnostics ? { diagnostics } : {}),
        },
        201,
      );
    });

    app.get(`${base}/:id`, async (c) => {
      const row = await getInstance(deps.store.db, c.req.param('id'));
      const pending = await latestPending(deps, row.id);
      const mapped = await mappingCounts(deps.store.db);
      return c.json({
        ...instanceView(row, mapped.get(row.id) ?? 0),
        authorization: pending
          ? {
              id: pending.id,
              kind: pending.kind,
              status: pending.status,
              callback: pending.callback,
              createdAt: pending.created_at,
              expiresAt: pending.expires_at,
              ...(pending.error_json ? { error: JSON.parse(pending.error_json) } : {}),
            }
          : null,
        diagnostics: row.last_diagnostics_json
          ? (JSON.parse(row.last_diagnostics_json) as DiagnosticsReport)
          : null,
      });
    });

    app.patch(`${base}/:id`, async (c) => {
      const update = await readJson(c, instanceUpdateSchema, '{"name": "Jira (production)"}');
      const row = await updateInstance(deps, c.req.param('id'), update);
      return c.json(instanceView(row));
    });

    app.delete(`${base}/:id`, async (c) => {
      await removeInstance(deps, c.req.param('id'));
      return c.body(null, 204);
    });

    app.get(`${base}/:id/application-link`, async (c) => {
      const row = await getInstance(deps.store.db, c.req.param('id'));
      const detected = await detectDeployment(deps, row);
      return c.json(applicationLinkGuide(deps, row, detected));
    });

    app.post(`${base}/:id/authorize`, async (c) => {
      const input = await readJson(c, authorizeBody, '{"oob": false}');
      const started = await startAuthorization(deps, c.req.param('id'), {
        startedBy: userActor(currentUser(c).id),
        ...(input.oob ? { oob: true } : {}),
      });
      return c.json(started);
    });

    app.post(`${base}/:id/verify`, async (c) => {
      const input = await readJson(c, verifyBody, '{"verifier": "AbC123"}');
      const result = await completeOAuth1Authorization(deps, {
        instanceId: c.req.param('id'),
        verifier: input.verifier,
        actor: userActor(currentUser(c).id),
      });
      const row = await getInstance(deps.store.db, result.instanceId);
      return c.json({ instance: instanceView(row), diagnostics: result.diagnostics });
    });

    app.get(`${base}/:id/diagnostics`, async (c) => {
      const row = await getInstance(deps.store.db, c.req.param('id'));
      return c.json({
        diagnostics: row.last_diagnostics_json
          ? (JSON.parse(row.last_diagnostics_json) as DiagnosticsReport)
          : null,
      });
    });

    app.post(`${base}/:id/diagnostics`, async (c) => {
      const input = await readJson(c, diagnosticsBody, '{"projectKeys": ["DEMO"]}');
      const report = await runDiagnostics(deps, c.req.param('id'), {
        ...(input.projectKeys ? { projectKeys: input.projectKeys } : {}),
      });
      const row = await getInstance(deps.store.db, report.instanceId);
      return c.json({ instance: instanceView(row), diagnostics: report });
    });
  };
}
