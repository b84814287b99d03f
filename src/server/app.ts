import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import type { Logger } from '../log.js';
import { AppError, type ErrorBody } from '../errors.js';

/** What the HTTP layer needs from the rest of the product; tests pass their own. */
export type AppDeps = {
  logger: Logger;
  /** Throws when the database cannot answer; `/healthz` turns that into a 503. */
  checkDatabase: () => Promise<void>;
};

export type AppEnv = { Variables: { requestId: string; log: Logger } };

export function errorResponse(err: unknown, log: Logger): { status: number; body: ErrorBody } {
  if (err instanceof AppError) return { status: err.status, body: err.toBody() };
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

export function createApp(deps: AppDeps): Hono<AppEnv> {
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
    log.info(
      {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      },
      'request',
    );
  });

  app.onError((err, c) => {
    const { status, body } = errorResponse(err, c.get('log') ?? deps.logger);
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
      await deps.checkDatabase();
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

  return app;
}
