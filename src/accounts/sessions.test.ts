import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../store/testing.js';
import { cheapPasswordHashingForTests } from './passwords.js';
import {
  createSession,
  csrfTokenFor,
  csrfTokenMatches,
  deleteExpiredSessions,
  findSession,
  SESSION_IDLE_MS,
  SESSION_MAX_MS,
} from './sessions.js';
import { createUser } from './users.js';

cheapPasswordHashingForTests();

describeEachDialect('sessions', (getStore) => {
  const user = () =>
    createUser(getStore().db, {
      username: `s-${randomBytes(4).toString('hex')}`,
      role: 'tester',
      password: 'a-long-enough-password',
    });

  it('finds a session by its token only, and keeps only the hash', async () => {
    const u = await user();
    const { token, session } = await createSession(getStore().db, u, { userAgent: 'vitest', ip: '10.0.0.1' });
    expect((await findSession(getStore().db, token))?.user.id).toBe(u.id);
    expect(await findSession(getStore().db, `${token.slice(0, -1)}x`)).toBeUndefined();
    expect(await findSession(getStore().db, 'short')).toBeUndefined();
    const row = await getStore()
      .db.selectFrom('sessions')
      .selectAll()
      .where('id', '=', session.id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(token);
  });

  it('slides the idle expiry on use but never past the absolute limit', async () => {
    const u = await user();
    const t0 = new Date('2030-01-01T00:00:00Z');
    const { token } = await createSession(getStore().db, u, {}, t0);
    const at = (ms: number) => new Date(t0.getTime() + ms);
    // Used every 11 hours: each use pushes the idle expiry on...
    let s = await findSession(getStore().db, token, at(11 * 3600_000));
    expect(s).toBeDefined();
    s = await findSession(getStore().db, token, at(22 * 3600_000));
    expect(s).toBeDefined();
    expect(Date.parse(s?.expiresAt ?? '')).toBe(at(22 * 3600_000 + SESSION_IDLE_MS).getTime());
    // ...but after SESSION_MAX_MS it ends whatever happens.
    for (let h = 33; h * 3600_000 < SESSION_MAX_MS; h += 11) {
      expect(await findSession(getStore().db, token, at(h * 3600_000))).toBeDefined();
    }
    expect(await findSession(getStore().db, token, at(SESSION_MAX_MS))).toBeUndefined();
  });

  it('ends a session left idle and sweeps expired rows', async () => {
    const u = await user();
    const t0 = new Date('2030-02-01T00:00:00Z');
    const { token } = await createSession(getStore().db, u, {}, t0);
    expect(
      await findSession(getStore().db, token, new Date(t0.getTime() + SESSION_IDLE_MS + 1)),
    ).toBeUndefined();
    const { session } = await createSession(getStore().db, u, {}, t0);
    expect(
      await deleteExpiredSessions(getStore().db, new Date(t0.getTime() + SESSION_IDLE_MS)),
    ).toBeGreaterThanOrEqual(1);
    const left = await getStore()
      .db.selectFrom('sessions')
      .select('id')
      .where('id', '=', session.id)
      .execute();
    expect(left).toEqual([]);
  });
});

it('derives a CSRF token per session and compares it safely', () => {
  const a = randomBytes(32).toString('base64url');
  const b = randomBytes(32).toString('base64url');
  expect(csrfTokenFor(a)).not.toBe(csrfTokenFor(b));
  expect(csrfTokenMatches(a, csrfTokenFor(a))).toBe(true);
  expect(csrfTokenMatches(a, csrfTokenFor(b))).toBe(false);
  expect(csrfTokenMatches(a, undefined)).toBe(false);
  expect(csrfTokenMatches(a, '')).toBe(false);
});
