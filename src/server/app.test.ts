import { describe, expect, it } from 'vitest';
import { createTestApp } from './testing.js';

describe('app', () => {
  it('answers /healthz when the database answers', async () => {
    const t = await createTestApp();
    try {
      const res = await t.app.request('/healthz');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok', database: 'ok' });
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await t.close();
    }
  });

  it('answers 503 with the error shape when the database does not', async () => {
    const t = await createTestApp();
    await t.store.close();
    try {
      const res = await t.app.request('/healthz');
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: { code: string; hint: string } };
      expect(body.error.code).toBe('database_unavailable');
      expect(body.error.hint).toMatch(/DATABASE_URL/);
    } finally {
      await t.close();
    }
  });

  it('gives unknown API routes the one error shape', async () => {
    const t = await createTestApp();
    try {
      const res = await t.app.request('/api/nope');
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
    } finally {
      await t.close();
    }
  });

  it('keeps a well-formed incoming request id and replaces a malformed one', async () => {
    const t = await createTestApp();
    try {
      const ok = await t.app.request('/healthz', { headers: { 'x-request-id': 'abc-123' } });
      expect(ok.headers.get('x-request-id')).toBe('abc-123');
      const bad = await t.app.request('/healthz', { headers: { 'x-request-id': 'a b "c"' } });
      expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(t.logs.some((l) => l.includes('"requestId":"abc-123"'))).toBe(true);
    } finally {
      await t.close();
    }
  });
});
