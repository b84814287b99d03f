import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, checkKeys, getSession, listJiraInstances, request, signIn } from '../../web/src/api.js';

/** The UI's API client, run in Node against a scripted fetch: what each server answer becomes. */

type Scripted = { status: number; body?: unknown; headers?: Record<string, string> };
const calls: { method: string; url: string; headers: Record<string, string>; body?: string }[] = [];

function script(...answers: (Scripted | Error)[]) {
  const queue = [...answers];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit = {}) => {
    calls.push({
      method: init.method ?? 'GET',
      url,
      headers: (init.headers ?? {}) as Record<string, string>,
      body: init.body as string | undefined,
    });
    const next = queue.shift();
    if (!next) throw new Error(`unscripted request ${url}`);
    if (next instanceof Error) throw next;
    const text =
      next.body === undefined ? '' : typeof next.body === 'string' ? next.body : JSON.stringify(next.body);
    return new Response(next.status === 204 ? null : text, { status: next.status, headers: next.headers });
  });
}

afterEach(() => {
  vi.unstubAllGlobals();
  calls.length = 0;
});

const session = { user: { id: 'u1', username: 'admin', role: 'admin' }, csrfToken: 'csrf-1' };

describe('api client', () => {
  it('turns the error shape into an ApiError with message and hint', async () => {
    script({
      status: 401,
      body: { error: { code: 'invalid_credentials', message: 'Wrong.', hint: 'Retry.' } },
    });
    const err = await signIn('admin', 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      status: 401,
      code: 'invalid_credentials',
      message: 'Wrong.',
      hint: 'Retry.',
    });
  });

  it('reads Retry-After on 429 even when a proxy answered without the error shape', async () => {
    script({ status: 429, body: '<html>slow down</html>', headers: { 'Retry-After': '42' } });
    const err = (await signIn('admin', 'x').catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe('rate_limited');
    expect(err.retryAfter).toBe(42);
    expect(err.hint).toMatch(/wait/i);
  });

  it('explains a server that is down and an answer that is not JSON', async () => {
    script(new TypeError('fetch failed'));
    const down = (await request('GET', '/api/x').catch((e: unknown) => e)) as ApiError;
    expect(down.code).toBe('network_error');
    expect(down.hint).toMatch(/server is running/);
    script({ status: 502, body: 'Bad Gateway' });
    const bad = (await request('GET', '/api/x').catch((e: unknown) => e)) as ApiError;
    expect(bad.code).toBe('unexpected_response');
    expect(bad.message).toContain('502');
  });

  it('sends the CSRF token from the session on state-changing requests only', async () => {
    script({ status: 200, body: session }, { status: 200, body: { publicKey: {} } });
    expect(await getSession()).toEqual(session);
    await checkKeys({ publicKey: 'AAAA' });
    expect(calls[0]?.headers['X-CSRF-Token']).toBeUndefined();
    expect(calls[1]?.headers['X-CSRF-Token']).toBe('csrf-1');
    expect(calls[1]?.headers['Content-Type']).toBe('application/json');
    expect(JSON.parse(calls[1]?.body ?? '')).toEqual({ publicKey: 'AAAA' });
  });

  it('refreshes a stale CSRF token once and retries', async () => {
    script(
      { status: 200, body: session },
      { status: 403, body: { error: { code: 'csrf_invalid', message: 'Stale token.' } } },
      { status: 200, body: { ...session, csrfToken: 'csrf-2' } },
      { status: 200, body: { publicKey: {} } },
    );
    await getSession();
    await checkKeys({ publicKey: 'AAAA' });
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'GET /api/session',
      'POST /api/keys/check',
      'GET /api/session',
      'POST /api/keys/check',
    ]);
    expect(calls[3]?.headers['X-CSRF-Token']).toBe('csrf-2');
  });

  it('treats 401 on GET /api/session as signed out, and a missing instances API as unavailable', async () => {
    script(
      { status: 401, body: { error: { code: 'unauthenticated', message: 'Sign in.' } } },
      {
        status: 404,
        body: { error: { code: 'not_found', message: 'No route for GET /api/jira/instances.' } },
      },
      { status: 200, body: [] },
      { status: 200, body: { instances: [{ id: 'i1' }] } },
    );
    expect(await getSession()).toBeNull();
    expect(await listJiraInstances()).toBe('unavailable');
    expect(await listJiraInstances()).toEqual([]);
    expect(await listJiraInstances()).toEqual([{ id: 'i1' }]);
  });
});
