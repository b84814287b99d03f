/**
 * The Jira client against jira-sim, for every flavour: deployment detection, Basic, PAT,
 * serverInfo/myself/mypermissions, error translation and retries on injected faults.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJiraSim, type JiraSim } from '../../jira-sim/src/server.js';
import { getAccessToken, getRequestToken } from '../oauth1/index.js';
import { basicAuth, oauth1Auth, patAuth } from './auth.js';
import { JiraClient, type JiraClientOptions } from './client.js';
import { JiraApiError } from './errors.js';
import type { JiraCallEvent } from './transport.js';

type SimUserInfo = { name: string; emailAddress: string; password: string; apiToken?: string };

async function simAdmin(sim: JiraSim, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${sim.url}/rest/sim/1.0${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`jira-sim admin ${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return res.status === 204 ? undefined : res.json();
}

const FLAVORS = [
  { flavor: 'cloud', deploymentType: 'Cloud', cloud: true },
  { flavor: 'server', deploymentType: 'Server', cloud: false },
  { flavor: 'dc9', deploymentType: 'DataCenter', cloud: false },
  { flavor: 'dc10', deploymentType: 'DataCenter', cloud: false },
] as const;

for (const { flavor, deploymentType, cloud } of FLAVORS) {
  describe(`Jira client against jira-sim (${flavor})`, () => {
    let sim: JiraSim;
    let admin: SimUserInfo;

    beforeAll(async () => {
      sim = await createJiraSim({ flavor, port: 0, contextPath: cloud ? '' : '/jira' });
      const info = (await simAdmin(sim, 'GET', '/info')) as { users: SimUserInfo[] };
      admin = info.users.find((u) => u.name === 'admin')!;
    });
    afterAll(async () => {
      await sim?.close();
    });

    const basic = () =>
      cloud
        ? basicAuth({ username: admin.emailAddress, password: admin.apiToken! })
        : basicAuth({ username: 'admin', password: admin.password });

    const client = (options: Partial<JiraClientOptions> = {}) =>
      new JiraClient({ jiraUrl: sim.url, auth: basic(), sleep: async () => {}, ...options });

    it('reads serverInfo and detects the deployment', async () => {
      const c = client();
      const info = await c.serverInfo();
      expect(info.baseUrl).toBe(sim.baseUrl);
      expect(info.deploymentType).toBe(deploymentType);
      const d = await c.deployment();
      expect(d.cloud).toBe(cloud);
      if (flavor === 'dc10') expect(d.major).toBe(10);
      if (flavor === 'dc9') expect(d.major).toBe(9);
    });

    it('authenticates with Basic auth and reads myself', async () => {
      const me = await client().myself();
      if (cloud) expect(me.accountId).toBeTruthy();
      else expect(me.name).toBe('admin');
      expect(me.displayName).toBe('Administrator');
    });

    it('reads mypermissions with the permission list', async () => {
      const perms = await client().myPermissions();
      expect(perms.permissions.BROWSE_PROJECTS?.havePermission).toBe(true);
      expect(perms.permissions.TRANSITION_ISSUES?.havePermission).toBe(true);
    });

    it('translates wrong credentials into jira_unauthorized without echoing the password', async () => {
      const secret = 'definitely-not-the-password';
      const c = client({
        auth: basicAuth({ username: cloud ? admin.emailAddress : 'admin', password: secret }),
      });
      const e = await c.myself().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(JiraApiError);
      expect((e as JiraApiError).code).toBe('jira_unauthorized');
      expect((e as JiraApiError).jiraStatus).toBe(401);
      expect(JSON.stringify((e as JiraApiError).toBody())).not.toContain(secret);
    });

    if (cloud) {
      it('explains that Cloud wants an API token, not the password', async () => {
        const c = client({ auth: basicAuth({ username: admin.emailAddress, password: admin.password }) });
        const e = (await c.myself().catch((x: unknown) => x)) as JiraApiError;
        expect(e.code).toBe('jira_unauthorized');
        expect(e.authProblem).toBe('password_not_accepted');
      });
    }

    if (!cloud) {
      it('authenticates with a personal access token', async () => {
        const pat = (await simAdmin(sim, 'POST', '/pats', { user: 'admin', name: 'testbridge' })) as {
          rawToken: string;
        };
        const me = await client({ auth: patAuth({ token: pat.rawToken }) }).myself();
        expect(me.name).toBe('admin');
      });
    }

    it('retries rate limiting (429 with Retry-After) and server errors, counting every call', async () => {
      await simAdmin(sim, 'PUT', '/faults', {
        rateLimit: { count: 2, retryAfterSeconds: 3 },
        serverError: { count: 1, status: 503 },
        paths: 'myself',
      });
      const calls: JiraCallEvent[] = [];
      const sleeps: number[] = [];
      try {
        const c = client({
          onCall: (e) => calls.push(e),
          reason: 'diagnostics',
          sleep: async (ms) => {
            sleeps.push(ms);
          },
        });
        await c.myself();
      } finally {
        await simAdmin(sim, 'DELETE', '/faults');
      }
      expect(calls.map((e) => e.status)).toEqual([429, 429, 503, 200]);
      expect(calls.every((e) => e.reason === 'diagnostics' && e.path === '/rest/api/2/myself')).toBe(true);
      expect(sleeps.slice(0, 2)).toEqual([3000, 3000]);
    });

    it('times out a hung request', async () => {
      await simAdmin(sim, 'PUT', '/faults', { hang: { count: 1 }, paths: 'serverInfo' });
      try {
        const e = await client({ timeoutMs: 200, retry: { maxRetries: 0 } })
          .serverInfo()
          .catch((x: unknown) => x);
        expect((e as JiraApiError).code).toBe('jira_timeout');
      } finally {
        await simAdmin(sim, 'DELETE', '/faults');
      }
    });

    it('names an unknown REST resource as jira_not_found', async () => {
      const c = client();
      const e = await c.transport
        .request({ method: 'GET', path: '/rest/api/2/nothing-here' })
        .catch((x: unknown) => x);
      expect((e as JiraApiError).code).toBe('jira_not_found');
    });
  });
}

describe('Jira client network failures', () => {
  it('reports a refused connection naming the host', async () => {
    const sim = await createJiraSim({ flavor: 'server', port: 0 });
    const url = sim.url;
    await sim.close();
    const c = new JiraClient({ jiraUrl: url, auth: patAuth({ token: 't' }), retry: { maxRetries: 0 } });
    const e = await c.myself().catch((x: unknown) => x);
    expect((e as JiraApiError).code).toBe('jira_unreachable');
    expect((e as JiraApiError).message).toContain(new URL(url).host);
    expect((e as JiraApiError).message).toMatch(/refused/);
  });
});

async function authorizeOAuth1(sim: JiraSim, options: { jiraUrl: string; signingBaseUrl?: string }) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const consumerKey = `testbridge-${Math.random().toString(36).slice(2)}`;
  await simAdmin(sim, 'POST', '/application-links', {
    name: 'Testbridge',
    applicationUrl: 'http://testbridge.example.com',
    consumerKey,
    consumerName: 'Testbridge',
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }),
  });
  const config = {
    jiraUrl: options.jiraUrl,
    consumerKey,
    privateKey,
    ...(options.signingBaseUrl ? { signingBaseUrl: options.signingBaseUrl } : {}),
  };
  const requestToken = await getRequestToken(config);
  const info = (await simAdmin(sim, 'GET', '/info')) as { users: SimUserInfo[] };
  const admin = info.users.find((u) => u.name === 'admin')!;
  const page = await fetch(`${sim.url}/plugins/servlet/oauth/authorize`, {
    method: 'POST',
    body: new URLSearchParams({
      oauth_token: requestToken.token,
      os_username: 'admin',
      os_password: admin.password,
      approve: 'Allow',
    }),
  });
  const html = await page.text();
  const verifier = /id="verification-code">([^<]+)</.exec(html)?.[1];
  if (!verifier) throw new Error(`no verification code on the consent page: HTTP ${page.status}`);
  const access = await getAccessToken(config, { requestToken: requestToken.token, verifier });
  return { consumerKey, privateKey, accessToken: access.token };
}

for (const flavor of ['cloud', 'server', 'dc9', 'dc10'] as const) {
  describe(`OAuth 1.0a against jira-sim (${flavor})`, () => {
    let sim: JiraSim;
    beforeAll(async () => {
      sim = await createJiraSim({ flavor, port: 0 });
    });
    afterAll(async () => {
      await sim?.close();
    });

    it('signs API calls with the access token from the three-legged flow', async () => {
      const creds = await authorizeOAuth1(sim, { jiraUrl: sim.url });
      const c = new JiraClient({ jiraUrl: sim.url, auth: oauth1Auth(creds) });
      const me = await c.myself();
      expect(me.displayName).toBe('Administrator');
      const perms = await c.myPermissions();
      expect(perms.permissions.BROWSE_PROJECTS?.havePermission).toBe(true);
    });
  });
}

describe('OAuth 1.0a with Jira behind a reverse proxy (base URL differs from the URL we call)', () => {
  let sim: JiraSim;
  beforeAll(async () => {
    sim = await createJiraSim({
      flavor: 'dc9',
      port: 0,
      contextPath: '/jira',
      baseUrl: 'https://jira.example.com/jira',
    });
  });
  afterAll(async () => {
    await sim?.close();
  });

  it("signs against Jira's base URL and is accepted", async () => {
    const creds = await authorizeOAuth1(sim, { jiraUrl: sim.url, signingBaseUrl: sim.baseUrl });
    const c = new JiraClient({ jiraUrl: sim.url, baseUrl: sim.baseUrl, auth: oauth1Auth(creds) });
    expect((await c.myself()).name).toBe('admin');
    // A query string is part of the signature too.
    expect(
      (await c.myPermissions({ permissions: ['BROWSE_PROJECTS'] })).permissions.BROWSE_PROJECTS,
    ).toBeTruthy();
  });

  it('is refused when signed against the address we connect to', async () => {
    const creds = await authorizeOAuth1(sim, { jiraUrl: sim.url, signingBaseUrl: sim.baseUrl });
    const c = new JiraClient({ jiraUrl: sim.url, auth: oauth1Auth(creds) });
    const e = (await c.myself().catch((x: unknown) => x)) as JiraApiError;
    expect(e.code).toBe('jira_unauthorized');
    expect(e.authProblem).toBe('signature_invalid');
    // Jira's report lets us name the base URL to configure.
    expect(e.hint).toContain(`Set the Jira base URL in Testbridge to ${sim.baseUrl}`);
    expect(e.message).not.toContain(creds.accessToken);
    expect(e.hint).not.toContain(creds.accessToken);
  });
});

describe('OAuth 1.0a refusals explained', () => {
  let sim: JiraSim;
  beforeAll(async () => {
    sim = await createJiraSim({ flavor: 'server', port: 0 });
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('says the private key does not match the application link', async () => {
    const creds = await authorizeOAuth1(sim, { jiraUrl: sim.url });
    const { privateKey: otherKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const c = new JiraClient({ jiraUrl: sim.url, auth: oauth1Auth({ ...creds, privateKey: otherKey }) });
    const e = (await c.myself().catch((x: unknown) => x)) as JiraApiError;
    expect(e.code).toBe('jira_unauthorized');
    expect(e.authProblem).toBe('signature_invalid');
    expect(e.message).toMatch(/private key does not match the public key of the application link/);
    expect(e.hint).toMatch(/SHA256:/);
  });

  it('says the consumer key is unknown', async () => {
    const creds = await authorizeOAuth1(sim, { jiraUrl: sim.url });
    const c = new JiraClient({
      jiraUrl: sim.url,
      auth: oauth1Auth({ ...creds, consumerKey: 'no-such-consumer' }),
    });
    const e = (await c.myself().catch((x: unknown) => x)) as JiraApiError;
    expect(e.authProblem).toBe('consumer_key_unknown');
    expect(e.message).toContain('no-such-consumer');
  });

  it('names the clock difference when Jira refuses the timestamp', async () => {
    const creds = await authorizeOAuth1(sim, { jiraUrl: sim.url });
    await simAdmin(sim, 'POST', '/clock', { offsetMs: 3 * 3600_000 });
    try {
      const c = new JiraClient({ jiraUrl: sim.url, auth: oauth1Auth(creds) });
      const e = (await c.myself().catch((x: unknown) => x)) as JiraApiError;
      expect(e.authProblem).toBe('timestamp_refused');
      expect(e.message).toMatch(/clock is \d+ seconds behind Jira's/);
      expect(e.hint).toMatch(/NTP/);
    } finally {
      await simAdmin(sim, 'POST', '/clock', { offsetMs: 0 });
    }
  });

  it('says the token was revoked', async () => {
    const creds = await authorizeOAuth1(sim, { jiraUrl: sim.url });
    await simAdmin(sim, 'DELETE', `/oauth/tokens/${encodeURIComponent(creds.accessToken)}`);
    const c = new JiraClient({ jiraUrl: sim.url, auth: oauth1Auth(creds) });
    const e = (await c.myself().catch((x: unknown) => x)) as JiraApiError;
    expect(e.code).toBe('jira_unauthorized');
    expect(e.authProblem).toMatch(/^token_(rejected|revoked)$/);
    expect(e.hint).toMatch(/Authorize Testbridge again/);
  });
});
