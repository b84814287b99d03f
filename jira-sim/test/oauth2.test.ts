import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JiraSim, createJiraSim } from '../src/server.js';
import { ADMIN, basic } from './helpers.js';

const CALLBACK = 'http://127.0.0.1:9999/oauth2/callback';

type Client = { clientId: string; clientSecret: string; apiBaseUrl?: string };
type Tokens = {
  access_token: string;
  refresh_token?: string;
  expires_in: number;
  token_type: string;
  scope: string;
};

async function registerClient(sim: JiraSim): Promise<Client> {
  const response = await fetch(`${sim.url}/rest/sim/1.0/oauth2/clients`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Testbridge', redirectUris: [CALLBACK] }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as Client;
}

/** Approves the consent page by HTTP as `approver` and returns the redirect. */
async function authorize(
  sim: JiraSim,
  path: string,
  params: Record<string, string>,
  approver: Record<string, string> = ADMIN,
): Promise<URL> {
  const page = await fetch(`${sim.url}${path}?${new URLSearchParams(params)}`, {
    headers: approver,
    redirect: 'manual',
  });
  if (page.status === 302) return new URL(page.headers.get('location')!);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('name="approve"');
  const approved = await fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { ...approver, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...params, approve: 'Accept' }),
    redirect: 'manual',
  });
  expect(approved.status).toBe(302);
  return new URL(approved.headers.get('location')!);
}

describe('Cloud OAuth 2.0 (3LO)', () => {
  let sim: JiraSim;
  let client: Client;
  let adminAuth: Record<string, string>;
  beforeAll(async () => {
    sim = await createJiraSim({ flavor: 'cloud' });
    client = await registerClient(sim);
    const admin = sim.ctx.findUser('admin')!;
    adminAuth = basic(admin.emailAddress, admin.apiToken);
  });
  afterAll(() => sim.close());

  const token = (body: Record<string, string>) =>
    fetch(`${sim.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: client.clientId, client_secret: client.clientSecret, ...body }),
    });

  const grant = async (scope: string): Promise<Tokens> => {
    const redirect = await authorize(
      sim,
      '/authorize',
      {
        audience: 'api.atlassian.com',
        client_id: client.clientId,
        scope,
        redirect_uri: CALLBACK,
        state: 'st-1',
        response_type: 'code',
        prompt: 'consent',
      },
      adminAuth,
    );
    expect(redirect.searchParams.get('state')).toBe('st-1');
    const code = redirect.searchParams.get('code')!;
    const response = await token({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK });
    expect(response.status).toBe(200);
    return (await response.json()) as Tokens;
  };

  it('grants tokens, lists the accessible resource and serves the API under /ex/jira/{cloudId}', async () => {
    const tokens = await grant('read:jira-work read:jira-user offline_access');
    expect(tokens.token_type).toBe('Bearer');
    expect(tokens.expires_in).toBe(3600);
    expect(tokens.refresh_token).toBeTruthy();
    const bearer = { authorization: `Bearer ${tokens.access_token}` };
    const resources = await fetch(`${sim.url}/oauth/token/accessible-resources`, { headers: bearer });
    const [site] = (await resources.json()) as { id: string; url: string; scopes: string[] }[];
    expect(site!.id).toBe(sim.cloudId);
    expect(site!.url).toBe(sim.baseUrl);
    expect(site!.scopes).toContain('read:jira-work');
    expect(client.apiBaseUrl).toBe(`${sim.baseUrl}/ex/jira/${sim.cloudId}`);
    const me = await fetch(`${sim.url}/ex/jira/${site!.id}/rest/api/3/myself`, { headers: bearer });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { accountId: string }).accountId).toBe(sim.ctx.findUser('admin')!.accountId);
    const info = await fetch(`${sim.url}/ex/jira/${site!.id}/rest/api/2/serverInfo`, { headers: bearer });
    expect(((await info.json()) as { deploymentType: string }).deploymentType).toBe('Cloud');
    // The gateway wants a bearer token; the site itself does not take 3LO tokens.
    expect(
      (await fetch(`${sim.url}/ex/jira/${site!.id}/rest/api/3/myself`, { headers: adminAuth })).status,
    ).toBe(401);
    expect((await fetch(`${sim.url}/rest/api/3/myself`, { headers: bearer })).status).toBe(401);
    expect((await fetch(`${sim.url}/ex/jira/not-a-site/rest/api/3/myself`, { headers: bearer })).status).toBe(
      404,
    );
  });

  it('refuses calls outside the granted scopes', async () => {
    const tokens = await grant('read:jira-work');
    const bearer = { authorization: `Bearer ${tokens.access_token}` };
    expect(tokens.refresh_token).toBeUndefined();
    const me = await fetch(`${sim.url}/ex/jira/${sim.cloudId}/rest/api/3/myself`, { headers: bearer });
    expect(me.status).toBe(401);
    expect(await me.json()).toEqual({ code: 401, message: 'Unauthorized; scope does not match' });
    const permissions = await fetch(
      `${sim.url}/ex/jira/${sim.cloudId}/rest/api/3/mypermissions?permissions=BROWSE_PROJECTS`,
      {
        headers: bearer,
      },
    );
    expect(permissions.status).toBe(200);
  });

  it('expires access tokens after an hour of simulated time', async () => {
    const tokens = await grant('read:jira-user');
    const me = () =>
      fetch(`${sim.url}/ex/jira/${sim.cloudId}/rest/api/3/myself`, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
    expect((await me()).status).toBe(200);
    sim.ctx.clock.advance(3_600_001);
    try {
      expect((await me()).status).toBe(401);
    } finally {
      sim.ctx.clock.advance(-3_600_001);
    }
  });

  it('rotates refresh tokens: each works once, reuse gets invalid_grant', async () => {
    const first = await grant('read:jira-user offline_access');
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token! });
    expect(refreshed.status).toBe(200);
    const second = (await refreshed.json()) as Tokens;
    expect(second.refresh_token).toBeTruthy();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    const reuse = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token! });
    expect(reuse.status).toBe(403);
    expect(await reuse.json()).toEqual({
      error: 'invalid_grant',
      error_description: 'Unknown or invalid refresh token.',
    });
    const me = await fetch(`${sim.url}/ex/jira/${sim.cloudId}/rest/api/3/myself`, {
      headers: { authorization: `Bearer ${second.access_token}` },
    });
    expect(me.status).toBe(200);
  });

  it('uses codes once, checks the client secret and the redirect URI', async () => {
    const params = {
      audience: 'api.atlassian.com',
      client_id: client.clientId,
      scope: 'read:jira-work',
      redirect_uri: CALLBACK,
      state: 's',
      response_type: 'code',
    };
    const code = (await authorize(sim, '/authorize', params, adminAuth)).searchParams.get('code')!;
    const wrongSecret = await fetch(`${sim.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'authorization_code',
        client_id: client.clientId,
        client_secret: 'x',
        code,
        redirect_uri: CALLBACK,
      }),
    });
    expect(wrongSecret.status).toBe(401);
    expect(((await wrongSecret.json()) as { error: string }).error).toBe('invalid_client');
    expect((await token({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK })).status).toBe(
      200,
    );
    const again = await token({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK });
    expect(((await again.json()) as { error: string }).error).toBe('invalid_grant');
    const badRedirect = await fetch(
      `${sim.url}/authorize?${new URLSearchParams({ ...params, redirect_uri: 'https://evil.example.com/cb' })}`,
      { headers: adminAuth, redirect: 'manual' },
    );
    expect(badRedirect.status).toBe(400);
    const denied = await fetch(`${sim.url}/authorize`, {
      method: 'POST',
      headers: { ...adminAuth, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...params, deny: 'Cancel' }),
      redirect: 'manual',
    });
    expect(new URL(denied.headers.get('location')!).searchParams.get('error')).toBe('access_denied');
    const unknownGrant = await token({ grant_type: 'password' });
    expect(((await unknownGrant.json()) as { error: string }).error).toBe('unsupported_grant_type');
  });

  it('asks anonymous visitors to sign in before the consent page', async () => {
    const params = new URLSearchParams({
      audience: 'api.atlassian.com',
      client_id: client.clientId,
      scope: 'read:jira-work',
      redirect_uri: CALLBACK,
      response_type: 'code',
    });
    const page = await fetch(`${sim.url}/authorize?${params}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('name="os_username"');
  });
});

describe('Data Center OAuth 2.0', () => {
  let sim: JiraSim;
  let client: Client;
  beforeAll(async () => {
    sim = await createJiraSim({ flavor: 'dc10', contextPath: '/jira' });
    client = await registerClient(sim);
  });
  afterAll(() => sim.close());

  const verifier = () => randomBytes(32).toString('base64url');
  const challenge = (v: string) => createHash('sha256').update(v).digest('base64url');
  const params = (scope: string, codeChallenge?: string): Record<string, string> => ({
    client_id: client.clientId,
    redirect_uri: CALLBACK,
    response_type: 'code',
    scope,
    state: 'dc-state',
    ...(codeChallenge ? { code_challenge: codeChallenge, code_challenge_method: 'S256' } : {}),
  });
  const exchange = (code: string, codeVerifier: string) =>
    fetch(`${sim.url}/rest/oauth2/latest/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: client.clientId,
        client_secret: client.clientSecret,
        code,
        redirect_uri: CALLBACK,
        code_verifier: codeVerifier,
      }),
    });

  it('requires PKCE S256', async () => {
    const redirect = await authorize(sim, '/rest/oauth2/latest/authorize', params('READ'));
    expect(redirect.searchParams.get('error')).toBe('invalid_request');
    expect(redirect.searchParams.get('state')).toBe('dc-state');
  });

  it('exchanges a code with the right verifier and serves the API with the bearer token', async () => {
    const v = verifier();
    const redirect = await authorize(sim, '/rest/oauth2/latest/authorize', params('WRITE', challenge(v)));
    const code = redirect.searchParams.get('code')!;
    const wrong = await exchange(code, verifier());
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: string }).error).toBe('invalid_grant');

    const v2 = verifier();
    const code2 = (
      await authorize(sim, '/rest/oauth2/latest/authorize', params('WRITE', challenge(v2)))
    ).searchParams.get('code')!;
    const response = await exchange(code2, v2);
    expect(response.status).toBe(200);
    const tokens = (await response.json()) as Tokens;
    expect(tokens.refresh_token).toBeTruthy();
    const me = await fetch(`${sim.url}/rest/api/2/myself`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(((await me.json()) as { name: string }).name).toBe('admin');
  });

  it('limits a READ token to reads', async () => {
    const v = verifier();
    const code = (
      await authorize(sim, '/rest/oauth2/latest/authorize', params('READ', challenge(v)))
    ).searchParams.get('code')!;
    const tokens = (await (await exchange(code, v)).json()) as Tokens;
    const bearer = { authorization: `Bearer ${tokens.access_token}` };
    expect((await fetch(`${sim.url}/rest/api/2/myself`, { headers: bearer })).status).toBe(200);
    const write = await fetch(`${sim.url}/rest/pat/latest/tokens`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x' }),
    });
    expect(write.status).toBe(403);
  });

  it('accepts client credentials by HTTP Basic and rotates refresh tokens', async () => {
    const v = verifier();
    const code = (
      await authorize(sim, '/rest/oauth2/latest/authorize', params('READ', challenge(v)))
    ).searchParams.get('code')!;
    const tokens = (await (await exchange(code, v)).json()) as Tokens;
    const refresh = (refreshToken: string) =>
      fetch(`${sim.url}/rest/oauth2/latest/token`, {
        method: 'POST',
        headers: {
          ...basic(client.clientId, client.clientSecret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
      });
    expect((await refresh(tokens.refresh_token!)).status).toBe(200);
    const reuse = await refresh(tokens.refresh_token!);
    expect(reuse.status).toBe(400);
    expect(((await reuse.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('has no OAuth 2.0 provider on Server 8.20', async () => {
    const server = await createJiraSim({ flavor: 'server' });
    try {
      const response = await fetch(`${server.url}/rest/sim/1.0/oauth2/clients`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirectUris: [CALLBACK] }),
      });
      expect(response.status).toBe(400);
      expect((await fetch(`${server.url}/rest/oauth2/latest/authorize`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
