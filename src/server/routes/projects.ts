/**
 * REST API of the test-management core: projects (admins create, everyone signed in reads),
 * their synced requirements, defects and releases (read-only: Jira is the source), test
 * cases and executions, and traceability.
 */
import type { Context } from 'hono';
import { requireAdmin, requireUser } from '../../accounts/middleware.js';
import { AppError } from '../../errors.js';
import { listIssues, listQuerySchema, listReleases } from '../../tm/issues.js';
import {
  createProject,
  getProject,
  listProjects,
  projectInputSchema,
  requireProject,
} from '../../tm/projects.js';
import {
  createTestCase,
  deleteTestCase,
  executionInputSchema,
  getTestCase,
  listExecutions,
  listTestCases,
  recordExecution,
  testCaseInputSchema,
  testCaseUpdateSchema,
  traceability,
  updateTestCase,
} from '../../tm/test-cases.js';
import { readJson } from '../json.js';
import type { AppEnv, RouteRegistrar } from '../types.js';

function query(c: Context<AppEnv>) {
  const parsed = listQuerySchema.safeParse(c.req.query());
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError(
      'invalid_query',
      `The query parameter ${issue?.path.join('.') || ''} ${issue?.message ?? 'is not valid'}.`,
      {
        hint: 'Use limit (1-500), offset (0 or more), q, status, releaseId and includeRemoved=true|false.',
      },
    );
  }
  return parsed.data;
}

export function projectsRoutes(): RouteRegistrar {
  return (app, deps) => {
    const db = deps.store.db;
    app.use('/api/projects', requireUser);
    app.use('/api/projects/*', requireUser);
    app.use('/api/test-cases/*', requireUser);

    app.get('/api/projects', async (c) => c.json({ projects: await listProjects(db) }));
    app.post('/api/projects', requireAdmin, async (c) => {
      const input = await readJson(c, projectInputSchema, '{"key": "SHOP", "name": "Web shop"}');
      return c.json(await createProject(db, input), 201);
    });
    app.get('/api/projects/:id', async (c) => c.json(await getProject(db, c.req.param('id'))));

    app.get('/api/projects/:id/requirements', async (c) => {
      const p = await requireProject(db, c.req.param('id'));
      return c.json(await listIssues(db, p.id, 'requirement', query(c)));
    });
    app.get('/api/projects/:id/defects', async (c) => {
      const p = await requireProject(db, c.req.param('id'));
      return c.json(await listIssues(db, p.id, 'defect', query(c)));
    });
    app.get('/api/projects/:id/releases', async (c) => {
      const p = await requireProject(db, c.req.param('id'));
      return c.json({
        releases: await listReleases(db, p.id, { includeDeleted: c.req.query('includeDeleted') === 'true' }),
      });
    });
    app.get('/api/projects/:id/traceability', async (c) => {
      const p = await requireProject(db, c.req.param('id'));
      return c.json({ requirements: await traceability(db, p.id) });
    });

    app.get('/api/projects/:id/test-cases', async (c) => {
      const p = await requireProject(db, c.req.param('id'));
      return c.json({ testCases: await listTestCases(db, p.id) });
    });
    app.post('/api/projects/:id/test-cases', async (c) => {
      const p = await requireProject(db, c.req.param('id'));
      const input = await readJson(
        c,
        testCaseInputSchema,
        '{"title": "Log in", "steps": [{"action": "Open /login"}]}',
      );
      return c.json(await createTestCase(db, p.id, input), 201);
    });
    app.get('/api/test-cases/:id', async (c) => c.json(await getTestCase(db, c.req.param('id'))));
    app.put('/api/test-cases/:id', async (c) => {
      const input = await readJson(c, testCaseUpdateSchema, '{"title": "Log in with SSO"}');
      return c.json(await updateTestCase(db, c.req.param('id'), input));
    });
    app.delete('/api/test-cases/:id', async (c) => {
      await deleteTestCase(db, c.req.param('id'));
      return c.body(null, 204);
    });
    app.get('/api/test-cases/:id/executions', async (c) =>
      c.json({ executions: await listExecutions(db, c.req.param('id')) }),
    );
    app.post('/api/test-cases/:id/executions', async (c) => {
      const input = await readJson(c, executionInputSchema, '{"status": "failed", "notes": "500 on submit"}');
      return c.json(await recordExecution(db, c.req.param('id'), input), 201);
    });
  };
}
