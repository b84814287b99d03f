import { describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { createApp } from './app.js';

const logger = createLogger('silent');

describe('app', () => {
  it('answers /healthz when the database answers', async () => {
    const app = createApp({ logger, checkDatabase: async () => {} });
    const res = await app.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', database: 'ok' });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers 503 with the error shape when the database does not', async () => {
    const app = createApp({
      logger,
      checkDatabase: async () => {
        throw new Error('connection refused');
      },
    });
    const res = await app.request('/healthz');
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; hint: string } };
    expect(body.error.code).toBe('database_unavailable');
    expect(body.error.hint).toMatch(/DATABASE_URL/);
  });

  it('gives unknown routes the one error shape', async () => {
    const app = createApp({ logger, checkDatabase: async () => {} });
    const res = await app.request('/api/nope');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });
});
