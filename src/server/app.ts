import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { sessionMiddleware } from '../accounts/middleware.js';
import { RateLimitedError } from '../accounts/rate-limit.js';
import { AppError, type ErrorBody } from '../errors.js';
import type { Logger } from '../log.js';
import { routeRegistrars } from './routes.js';
import type { AppDeps, AppEnv, RouteRegistrar } from './types.js';

export type { AppDeps, AppEnv, RouteRegistrar } from './types.js';

export function errorResponse(err: unknown, log: Logger): { status: number; body: ErrorBody } {
  if (err instanceof AppError) {
    // 5xx AppErrors are server-side trouble (database, vault) an operator must see.
    if (err.status >= 500) log.error({ code: err.code, err }, err.message);
    return { status: err.status, body: err.toBody() };
  }
  // Unknown errors are ours, not the user's: log the detail, answer with nothing internal.
  log.error({ err }, 'unhandled error');
  return {
    status: 500,
    body: {
      error: {
        code: 'internal_error',
        message: 'Testbridge failed while handling this request.',
        hint: 'Retry; if it keeps failing, look for this request id in the server log and report it.',
      },
    },
  };
}

export type CreateAppOptions = {
  /** Defaults to every capability's routes (routes.ts); tests may pass fewer or more. */
  registrars?: RouteRegistrar[];
};

export function createApp(deps: AppDeps, options: CreateAppOptions = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use('*', async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    const log = deps.logger.child({ requestId });
    c.set('requestId', requestId);
    c.set('log', log);
    c.header('x-request-id', requestId);
    const started = performance.now();
    await next();
    // The path only, never the query: OAuth callbacks carry verifiers and tokens there.
    log.info(
      {
        method: c.req.method,
        // The webhook token in the path authenticates Jira: keep it out of the log.
        path: c.req.path.replace(/^\/webhooks\/jira\/[^/]+/, '/webhooks/jira/:token'),
        status: c.res.status,
        ms: Math.round(performance.now() - started),
        userId: c.get('user')?.id,
      },
      'request',
    );
  });

  app.onError((err, c) => {
    const { status, body } = errorResponse(err, c.get('log') ?? deps.logger);
    if (err instanceof RateLimitedError) c.header('retry-after', String(err.retryAfterSeconds));
    return c.json(body, status as 400);
  });

  app.notFound((c) =>
    c.json(
      {
        error: {
          code: 'not_found',
          message: `No route for ${c.req.method} ${c.req.path}.`,
          hint: 'Check the address; the REST API lives under /api/.',
        },
      },
      404,
    ),
  );

  app.get('/healthz', async (c) => {
    try {
      await deps.store.ping();
      return c.json({ status: 'ok', database: 'ok' });
    } catch (err) {
      c.get('log').error({ err }, 'health check failed');
      return c.json(
        {
          error: {
            code: 'database_unavailable',
            message: 'The database did not answer.',
            hint: 'Check that the database is running and DATABASE_URL points at it.',
          },
        },
        503,
      );
    }
  });

  app.use('*', sessionMiddleware(deps));

  for (const register of options.registrars ?? routeRegistrars) register(app, deps);

  return app;
}
