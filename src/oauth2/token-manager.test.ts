import { describe, expect, it } from 'vitest';
import { oauth2Auth } from '../jira/auth.js';
import { JiraTransport } from '../jira/transport.js';
import { OAuth2Error } from './errors.js';
import type { TokenSet } from './flow.js';
import { OAuth2TokenManager } from './token-manager.js';

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('OAuth2TokenManager', () => {
  it('shares one refresh between concurrent callers and persists before handing out the token', async () => {
    const log: string[] = [];
    const gate = deferred<void>();
    let n = 0;
    const manager = new OAuth2TokenManager({
      initial: { accessToken: 'a0', refreshToken: 'r0' },
      refresh: async (rt) => {
        n++;
        log.push(`refresh ${rt}`);
        await gate.promise;
        return { accessToken: `a${n}`, refreshToken: `r${n}` };
      },
      persist: async (t) => {
        log.push(`persist ${t.accessToken} ${t.refreshToken}`);
      },
    });
    const first = manager.refreshAfterRejection('a0');
    const second = manager.refreshAfterRejection('a0');
    gate.resolve();
    expect(await Promise.all([first, second])).toEqual([true, true]);
    expect(log).toEqual(['refresh r0', 'persist a1 r1']);
    expect(await manager.accessToken()).toBe('a1');
  });

  it('does not refresh again for a token someone else already replaced', async () => {
    let refreshes = 0;
    const manager = new OAuth2TokenManager({
      initial: { accessToken: 'a0', refreshToken: 'r0' },
      refresh: async () => {
        refreshes++;
        return { accessToken: 'a1', refreshToken: 'r1' };
      },
      persist: async () => {},
    });
    await manager.refreshAfterRejection('a0');
    expect(await manager.refreshAfterRejection('a0')).toBe(true);
    expect(refreshes).toBe(1);
  });

  it('refreshes proactively when the token is about to expire', async () => {
    let now = 1_000_000;
    const manager = new OAuth2TokenManager({
      initial: { accessToken: 'a0', refreshToken: 'r0', expiresAt: now + 120_000 },
      refresh: async () => ({ accessToken: 'a1', refreshToken: 'r1', expiresAt: now + 3_600_000 }),
      persist: async () => {},
      refreshSkewMs: 60_000,
      now: () => now,
    });
    expect(await manager.accessToken()).toBe('a0');
    now += 61_000;
    expect(await manager.accessToken()).toBe('a1');
  });

  it('never uses a refreshed token that could not be saved, and saves it (without spending another refresh) next time', async () => {
    let failPersist = true;
    const persisted: TokenSet[] = [];
    let refreshes = 0;
    const manager = new OAuth2TokenManager({
      initial: { accessToken: 'a0', refreshToken: 'r0' },
      refresh: async () => {
        refreshes++;
        return { accessToken: 'a1', refreshToken: 'r1' };
      },
      persist: async (t) => {
        if (failPersist) throw new Error('database is locked');
        persisted.push(t);
      },
    });
    const e = await manager.refresh().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OAuth2Error);
    expect((e as OAuth2Error).code).toBe('oauth2_persist_failed');
    expect(manager.tokens().accessToken).toBe('a0');
    failPersist = false;
    expect(await manager.accessToken()).toBe('a1');
    expect(refreshes).toBe(1);
    expect(persisted).toEqual([{ accessToken: 'a1', refreshToken: 'r1' }]);
  });

  it('keeps the old refresh token when the server does not rotate it', async () => {
    const manager = new OAuth2TokenManager({
      initial: { accessToken: 'a0', refreshToken: 'r0' },
      refresh: async () => ({ accessToken: 'a1' }),
      persist: async () => {},
    });
    await manager.refresh();
    expect(manager.tokens()).toEqual({ accessToken: 'a1', refreshToken: 'r0' });
  });

  it('asks for re-authorization when there is no refresh token', async () => {
    const manager = new OAuth2TokenManager({
      initial: { accessToken: 'a0', expiresAt: 0 },
      refresh: async () => ({ accessToken: 'never' }),
      persist: async () => {},
    });
    await expect(manager.accessToken()).rejects.toMatchObject({ code: 'oauth2_reauthorization_required' });
    expect(await manager.refreshAfterRejection('a0')).toBe(false);
  });

  it('through the Jira client: two concurrent 401s cause exactly one refresh, then both succeed', async () => {
    let refreshes = 0;
    const gate = deferred<void>();
    const manager = new OAuth2TokenManager({
      initial: { accessToken: 'stale', refreshToken: 'r0' },
      refresh: async () => {
        refreshes++;
        await gate.promise;
        return { accessToken: 'fresh', refreshToken: 'r1' };
      },
      persist: async () => {},
    });
    const seen: string[] = [];
    let pending401 = 0;
    const transport = new JiraTransport({
      jiraUrl: 'https://api.example.com/ex/jira/site',
      auth: oauth2Auth(manager),
      fetch: async (_url, init) => {
        const auth = new Headers(init?.headers).get('authorization') ?? '';
        seen.push(auth);
        if (auth === 'Bearer stale') {
          pending401++;
          // Both requests are rejected before the refresh completes.
          if (pending401 === 2) setTimeout(() => gate.resolve(), 0);
          return new Response('{}', { status: 401 });
        }
        return Response.json({ ok: true });
      },
    });
    const [a, b] = await Promise.all([
      transport.request({ method: 'GET', path: '/rest/api/2/myself' }),
      transport.request({ method: 'GET', path: '/rest/api/2/serverInfo' }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(refreshes).toBe(1);
    expect(seen.sort()).toEqual(['Bearer fresh', 'Bearer fresh', 'Bearer stale', 'Bearer stale']);
  });
});
