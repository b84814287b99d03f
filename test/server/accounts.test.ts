import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSessionToken } from '../../src/accounts/sessions.js';
import { createTestApp, createTestClient, type TestApp } from '../../src/server/testing.js';
import { DIALECTS } from '../../src/store/testing.js';

type ErrorBody = { error: { code: string; message: string; hint?: string } };
type SessionBody = { user: { id: string; username: string; role: string }; csrfToken: string };
type UserBody = { user: { id: string; username: string; role: string } };

const strong = () => `pw-${randomBytes(9).toString('base64url')}`;

describe.each(DIALECTS)('accounts over HTTP [%s]', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ dialect });
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('sign-in', () => {
    it('refuses a wrong password and an unknown user with the same answer', async () => {
      const a = await t
        .anonymous()
        .json<ErrorBody>('POST', '/api/session', { username: 'admin', password: 'wrong-password!' });
      const b = await t
        .anonymous()
        .json<ErrorBody>('POST', '/api/session', { username: 'nobody', password: 'wrong-password!' });
      expect(a.status).toBe(401);
      expect(b.status).toBe(401);
      expect(a.body.error.code).toBe('invalid_credentials');
      expect(b.body).toEqual(a.body);
      expect(a.res.headers.get('set-cookie')).toBeNull();
    });

    it('rejects a malformed body with a 400 that names the field', async () => {
      const c = t.anonymous();
      const noJson = await c.request('/api/session', { method: 'POST', body: '{nope' });
      expect(noJson.status).toBe(400);
      expect(((await noJson.json()) as ErrorBody).error.code).toBe('invalid_json');
      const missing = await c.json<ErrorBody>('POST', '/api/session', { username: 'admin' });
      expect(missing.status).toBe(400);
      expect(missing.body.error.message).toMatch(/password/);
      const wrongType = await c.json<ErrorBody>('POST', '/api/session', ['admin']);
      expect(wrongType.status).toBe(400);
    });

    it('sets an HttpOnly, SameSite=Lax session cookie and stores only its hash', async () => {
      const c = t.anonymous();
      const res = await c.signIn('admin', t.adminUser.password);
      expect(res.status).toBe(200);
      const setCookie = res.headers.get('set-cookie') ?? '';
      expect(setCookie).toMatch(/^testbridge_session=/);
      expect(setCookie).toMatch(/HttpOnly/);
      expect(setCookie).toMatch(/SameSite=Lax/);
      expect(setCookie).not.toMatch(/Secure/);
      const body = (await res.json()) as SessionBody;
      expect(body.user).toMatchObject({ username: 'admin', role: 'admin' });
      expect(JSON.stringify(body)).not.toMatch(/password|hash/i);
      const token = (c.cookie ?? '').split('=')[1] ?? '';
      const rows = await t.store.db.selectFrom('sessions').select('token_hash').execute();
      expect(rows.map((r) => r.token_hash)).toContain(hashSessionToken(token));
      expect(JSON.stringify(rows)).not.toContain(token);
    });

    it('answers who am I with the CSRF token, and 401 without a session', async () => {
      const me = await t.admin.json<SessionBody>('GET', '/api/session');
      expect(me.status).toBe(200);
      expect(me.body.user.username).toBe('admin');
      expect(me.body.csrfToken).toBe(t.admin.csrfToken);
      const anon = await t.anonymous().json<ErrorBody>('GET', '/api/session');
      expect(anon.status).toBe(401);
      expect(anon.body.error.code).toBe('unauthenticated');
      expect(anon.body.error.hint).toMatch(/Sign in/);
    });

    it('treats usernames case-insensitively', async () => {
      const res = await t.anonymous().signIn('ADMIN', t.adminUser.password);
      expect(res.status).toBe(200);
    });

    it('ends the session on sign-out', async () => {
      const c = t.anonymous();
      await c.signIn('admin', t.adminUser.password);
      const cookie = c.cookie;
      const out = await c.request('/api/session', { method: 'DELETE' });
      expect(out.status).toBe(204);
      expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
      const replay = createTestClient(t.app);
      replay.cookie = cookie;
      expect((await replay.request('/api/session')).status).toBe(401);
    });

    it('ends an expired session', async () => {
      const { client, user } = await t.signedIn('tester');
      await t.store.db
        .updateTable('sessions')
        .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
        .where('user_id', '=', user.id)
        .execute();
      expect((await client.request('/api/session')).status).toBe(401);
    });
  });

  describe('rate limiting', () => {
    it('pauses sign-in for a username after repeated failures, even with the right password', async () => {
      const { user, password } = await t.signedIn('tester');
      let last: Response | undefined;
      for (let i = 0; i < 10; i++) {
        // From different addresses: the username limit must hold on its own.
        last = await t.anonymous(`10.9.${i}.1`).signIn(user.username, 'not-the-password');
        expect(last.status).toBe(401);
      }
      const blocked = await t.anonymous('10.9.99.1').signIn(user.username, password);
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      const body = (await blocked.json()) as ErrorBody;
      expect(body.error.code).toBe('rate_limited');
      expect(body.error.hint).toMatch(/Wait \d+ minutes?/);
      // Other accounts are unaffected.
      expect((await t.anonymous('10.9.99.2').signIn('admin', t.adminUser.password)).status).toBe(200);
    });

    it('pauses sign-in from an address that tries many usernames', async () => {
      const c = t.anonymous('10.8.0.1');
      for (let i = 0; i < 30; i++) {
        expect((await c.signIn(`guess-${i}`, 'not-the-password')).status).toBe(401);
      }
      const blocked = await c.signIn('admin', t.adminUser.password);
      expect(blocked.status).toBe(429);
      expect(blocked.headers.get('retry-after')).toMatch(/^\d+$/);
      expect((await t.anonymous('10.8.0.2').signIn('admin', t.adminUser.password)).status).toBe(200);
    });
  });

  describe('CSRF', () => {
    const newUser = () => ({ username: `csrf-${randomBytes(4).toString('hex')}`, password: strong() });

    it('rejects a cookie-authenticated change without the X-CSRF-Token header', async () => {
      const res = await t.admin.json<ErrorBody>('POST', '/api/users', newUser(), { 'x-csrf-token': '' });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('csrf_failed');
      expect(res.body.error.hint).toMatch(/X-CSRF-Token/);
    });

    it('rejects a wrong or another session’s CSRF token', async () => {
      const wrong = await t.admin.json<ErrorBody>('POST', '/api/users', newUser(), {
        'x-csrf-token': 'x'.repeat(43),
      });
      expect(wrong.status).toBe(403);
      const { client: other } = await t.signedIn('admin');
      const swapped = await t.admin.json<ErrorBody>('POST', '/api/users', newUser(), {
        'x-csrf-token': other.csrfToken ?? '',
      });
      expect(swapped.status).toBe(403);
      expect(swapped.body.error.code).toBe('csrf_failed');
    });

    it('rejects a change from another site’s page even with the token', async () => {
      const res = await t.admin.json<ErrorBody>('POST', '/api/users', newUser(), {
        origin: 'https://evil.example',
      });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('origin_mismatch');
      const signIn = await t
        .anonymous()
        .json<ErrorBody>(
          'POST',
          '/api/session',
          { username: 'admin', password: t.adminUser.password },
          { origin: 'https://evil.example' },
        );
      expect(signIn.status).toBe(403);
    });

    it('accepts the token with our own origin, and sign-out needs it too', async () => {
      const ok = await t.admin.json<UserBody>('POST', '/api/users', newUser(), {
        origin: 'http://localhost:8080',
      });
      expect(ok.status).toBe(201);
      const { client } = await t.signedIn('tester');
      const out = await client.request('/api/session', {
        method: 'DELETE',
        headers: { 'x-csrf-token': 'nope' },
      });
      expect(out.status).toBe(403);
    });
  });

  describe('roles', () => {
    it('keeps testers and strangers out of admin routes', async () => {
      const { client, user } = await t.signedIn('tester');
      for (const [method, path, body] of [
        ['GET', '/api/users', undefined],
        ['POST', '/api/users', { username: `x-${user.username}`, password: strong() }],
        ['PATCH', `/api/users/${user.id}`, { role: 'admin' }],
        ['POST', '/api/keys/check', {}],
      ] as const) {
        const asTester = await client.json<ErrorBody>(method, path, body);
        expect(asTester.status, `${method} ${path}`).toBe(403);
        expect(asTester.body.error.code).toBe('forbidden');
        const anon = await t.anonymous().json<ErrorBody>(method, path, body);
        expect(anon.status, `${method} ${path}`).toBe(401);
      }
      const me = await client.json<SessionBody>('GET', '/api/session');
      expect(me.body.user.role).toBe('tester');
    });

    it('applies a role change to live sessions at once', async () => {
      const { client, user } = await t.signedIn('tester');
      expect((await client.request('/api/users')).status).toBe(403);
      const up = await t.admin.json<UserBody>('PATCH', `/api/users/${user.id}`, { role: 'admin' });
      expect(up.status).toBe(200);
      expect(up.body.user.role).toBe('admin');
      expect((await client.request('/api/users')).status).toBe(200);
    });
  });

  describe('user management', () => {
    it('creates, lists and refuses duplicates and bad input', async () => {
      const username = `bo-${randomBytes(3).toString('hex')}`;
      const created = await t.admin.json<UserBody>('POST', '/api/users', { username, password: strong() });
      expect(created.status).toBe(201);
      expect(created.body.user).toMatchObject({ username, role: 'tester' });
      expect(JSON.stringify(created.body)).not.toMatch(/password/i);
      const list = await t.admin.json<{ users: { username: string }[] }>('GET', '/api/users');
      expect(list.body.users.map((u) => u.username)).toContain(username);
      expect(JSON.stringify(list.body)).not.toMatch(/hash|scrypt/);
      const dup = await t.admin.json<ErrorBody>('POST', '/api/users', {
        username: username.toUpperCase(),
        password: strong(),
      });
      expect(dup.status).toBe(409);
      expect(dup.body.error.code).toBe('username_taken');
      const weak = await t.admin.json<ErrorBody>('POST', '/api/users', {
        username: `${username}2`,
        password: 'short',
      });
      expect(weak.status).toBe(400);
      expect(weak.body.error.code).toBe('weak_password');
      const role = await t.admin.json<ErrorBody>('POST', '/api/users', {
        username: `${username}3`,
        password: strong(),
        role: 'owner',
      });
      expect(role.status).toBe(400);
      expect(role.body.error.message).toMatch(/role/);
      const name = await t.admin.json<ErrorBody>('POST', '/api/users', {
        username: 'no spaces',
        password: strong(),
      });
      expect(name.status).toBe(400);
      expect(name.body.error.code).toBe('invalid_username');
    });

    it('resets a password: old sessions end, the new password works', async () => {
      const { client, user, password } = await t.signedIn('tester');
      const next = strong();
      const res = await t.admin.json<UserBody>('PATCH', `/api/users/${user.id}`, { password: next });
      expect(res.status).toBe(200);
      expect((await client.request('/api/session')).status).toBe(401);
      expect((await t.anonymous().signIn(user.username, password)).status).toBe(401);
      expect((await t.anonymous().signIn(user.username, next)).status).toBe(200);
    });

    it('never demotes the last admin and 404s an unknown user', async () => {
      const admins = await t.store.db.selectFrom('users').select('id').where('role', '=', 'admin').execute();
      for (const a of admins.filter((x) => x.id !== t.adminUser.id)) {
        await t.admin.json('PATCH', `/api/users/${a.id}`, { role: 'tester' });
      }
      const res = await t.admin.json<ErrorBody>('PATCH', `/api/users/${t.adminUser.id}`, { role: 'tester' });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('last_admin');
      const missing = await t.admin.json<ErrorBody>('PATCH', '/api/users/no-such-id', { role: 'tester' });
      expect(missing.status).toBe(404);
      const empty = await t.admin.json<ErrorBody>('PATCH', `/api/users/${t.adminUser.id}`, {});
      expect(empty.status).toBe(400);
    });
  });

  describe('own password', () => {
    it('needs the current password, then ends the other sessions only', async () => {
      const { client, user, password } = await t.signedIn('tester');
      const other = t.anonymous();
      await other.signIn(user.username, password);
      const wrong = await client.json<ErrorBody>('POST', '/api/me/password', {
        currentPassword: 'not-it-at-all',
        newPassword: strong(),
      });
      expect(wrong.status).toBe(403);
      expect(wrong.body.error.code).toBe('invalid_credentials');
      const next = strong();
      const ok = await client.json('POST', '/api/me/password', {
        currentPassword: password,
        newPassword: next,
      });
      expect(ok.status).toBe(204);
      expect((await client.request('/api/session')).status).toBe(200);
      expect((await other.request('/api/session')).status).toBe(401);
      expect((await t.anonymous().signIn(user.username, next)).status).toBe(200);
      const weak = await client.json<ErrorBody>('POST', '/api/me/password', {
        currentPassword: next,
        newPassword: 'x',
      });
      expect(weak.status).toBe(400);
    });
  });
});

describe('accounts behind https', () => {
  it('marks the cookie Secure and host-only', async () => {
    const t = await createTestApp({ config: { publicUrl: 'https://tb.example.com' } });
    try {
      const c = t.anonymous();
      const res = await c.signIn('admin', t.adminUser.password);
      expect(res.status).toBe(200);
      const setCookie = res.headers.get('set-cookie') ?? '';
      expect(setCookie).toMatch(/^__Host-testbridge_session=/);
      expect(setCookie).toMatch(/; Secure/);
      expect(setCookie).toMatch(/Path=\//);
      expect(setCookie).not.toMatch(/Domain=/);
      expect((await c.request('/api/session')).status).toBe(200);
      const out = await c.request('/api/session', { method: 'DELETE' });
      expect(out.status).toBe(204);
      expect(out.headers.get('set-cookie')).toMatch(/^__Host-testbridge_session=;.*Max-Age=0/);
      expect((await c.request('/api/session')).status).toBe(401);
    } finally {
      await t.close();
    }
  });
});

describe('accounts API under arbitrary input', () => {
  it('answers every body with the error shape or success, never a 5xx', async () => {
    const t = await createTestApp();
    try {
      const endpoints: [string, string][] = [
        ['POST', '/api/session'],
        ['POST', '/api/users'],
        ['PATCH', `/api/users/${t.adminUser.id}`],
        ['POST', '/api/me/password'],
      ];
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...endpoints),
          fc.oneof(
            fc.json(),
            fc.string(),
            fc
              .record({ username: fc.anything(), password: fc.anything(), role: fc.anything() })
              .map((o) => JSON.stringify(o)),
          ),
          async ([method, path], body) => {
            const res = await t.admin.request(path, {
              method,
              headers: { 'content-type': 'application/json' },
              body,
            });
            expect(res.status, `${method} ${path} ${body}`).toBeLessThan(500);
            if (res.status >= 400) {
              const parsed = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
              expect(typeof parsed.error?.code).toBe('string');
              expect(typeof parsed.error?.message).toBe('string');
            }
          },
        ),
        { numRuns: 150 },
      );
      // The admin is still who they were: no fuzzed body changed the account.
      expect((await t.admin.request('/api/session')).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});
