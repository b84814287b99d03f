import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type JiraSim, createJiraSim } from '../src/server.js';
import { ADMIN, basic } from './helpers.js';

describe('fault injection', () => {
  let sim: JiraSim;
  beforeAll(async () => {
    sim = await createJiraSim({ flavor: 'cloud' });
  });
  afterAll(() => sim.close());
  afterEach(async () => {
    await fetch(`${sim.url}/rest/sim/1.0/faults`, { method: 'DELETE' });
  });

  const setFaults = (body: unknown) =>
    fetch(`${sim.url}/rest/sim/1.0/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const serverInfo = () => fetch(`${sim.url}/rest/api/2/serverInfo`);

  it('answers the next N requests with 429 and Retry-After, then recovers', async () => {
    expect((await setFaults({ rateLimit: { count: 2, retryAfterSeconds: 7 } })).status).toBe(200);
    const first = await serverInfo();
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('7');
    expect(await first.json()).toEqual({ errorMessages: ['Rate limit exceeded.'], errors: {} });
    expect((await serverInfo()).status).toBe(429);
    expect((await serverInfo()).status).toBe(200);
  });

  it('answers with the chosen 5xx, and only on paths matching the filter', async () => {
    await setFaults({ serverError: { count: 1, status: 502 }, paths: '/myself$' });
    expect((await serverInfo()).status).toBe(200);
    const failed = await fetch(`${sim.url}/rest/api/2/myself`, { headers: ADMIN });
    expect(failed.status).toBe(502);
    expect(((await failed.json()) as { errorMessages: string[] }).errorMessages).toHaveLength(1);
    const state = (await (await fetch(`${sim.url}/rest/sim/1.0/faults`)).json()) as {
      remaining: { serverError: number };
    };
    expect(state.remaining.serverError).toBe(0);
  });

  it('holds hung requests until the faults are cleared, and keeps its admin API reachable', async () => {
    await setFaults({ hang: { count: 1 } });
    const hung = serverInfo();
    let hungCount = 0;
    for (let i = 0; i < 200 && hungCount === 0; i++) {
      const state = (await (await fetch(`${sim.url}/rest/sim/1.0/faults`)).json()) as {
        hungRequests: number;
      };
      hungCount = state.hungRequests;
      if (hungCount === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(hungCount).toBe(1);
    expect((await fetch(`${sim.url}/rest/sim/1.0/faults`, { method: 'DELETE' })).status).toBe(204);
    expect((await hung).status).toBe(503);
    expect((await serverInfo()).status).toBe(200);
  });

  it('adds latency to requests', async () => {
    await setFaults({ latencyMs: 120 });
    const started = performance.now();
    expect((await serverInfo()).status).toBe(200);
    // A lower bound only: the fault must delay, however slow the machine is.
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
  });

  it('sets the webhook delivery faults the data side reads', async () => {
    await setFaults({ webhooks: { drop: 1, duplicate: 0.5, delayMs: 50, reorder: true } });
    expect(sim.ctx.webhookFaults).toEqual({ drop: 1, duplicate: 0.5, delayMs: 50, reorder: true });
    await fetch(`${sim.url}/rest/sim/1.0/faults`, { method: 'DELETE' });
    expect(sim.ctx.webhookFaults).toEqual({ drop: 0, duplicate: 0, delayMs: 0, reorder: false });
  });

  it('refuses invalid fault settings with 400', async () => {
    for (const body of [
      { serverError: { count: 1, status: 404 } },
      { paths: '(' },
      { rateLimit: { count: -1 } },
      { nonsense: 1 },
    ]) {
      const response = await setFaults(body);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { errors: Record<string, string> }).errors).toBeDefined();
    }
  });

  it('is cleared by reset', async () => {
    await setFaults({ rateLimit: { count: 5 } });
    expect((await fetch(`${sim.url}/rest/sim/1.0/reset`, { method: 'POST' })).status).toBe(204);
    expect((await serverInfo()).status).toBe(200);
  });
});

describe('CAPTCHA after failed logins (Server/DC)', () => {
  it('refuses Basic, even with the right password, after N failures, until the user signs in on the page', async () => {
    const sim = await createJiraSim({ flavor: 'dc9' });
    try {
      const put = await fetch(`${sim.url}/rest/sim/1.0/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ captchaAfterFailedLogins: 2 }),
      });
      expect(put.status).toBe(200);
      const myself = (password: string) =>
        fetch(`${sim.url}/rest/api/2/myself`, { headers: basic('developer', password) });
      expect((await myself('wrong')).status).toBe(401);
      expect((await myself('developer')).status).toBe(200);
      expect((await myself('wrong')).status).toBe(401);
      expect((await myself('wrong')).status).toBe(401);
      const locked = await myself('developer');
      expect(locked.status).toBe(403);
      expect(locked.headers.get('x-seraph-loginreason')).toBe('AUTHENTICATION_DENIED');
      expect(locked.headers.get('x-authentication-denied-reason')).toBe(
        `CAPTCHA_CHALLENGE; login-url=${sim.baseUrl}/login.jsp`,
      );
      // Other users are not affected.
      expect((await fetch(`${sim.url}/rest/api/2/myself`, { headers: ADMIN })).status).toBe(200);
      const signIn = await fetch(`${sim.url}/login.jsp`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'os_username=developer&os_password=developer',
        redirect: 'manual',
      });
      expect(signIn.status).toBe(302);
      expect((await myself('developer')).status).toBe(200);
    } finally {
      await sim.close();
    }
  });
});
