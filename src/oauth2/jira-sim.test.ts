/**
 * OAuth 2.0 against jira-sim's providers: Atlassian Cloud 3LO (via the /ex/jira/{cloudId}
 * gateway) and Jira Data Center (PKCE), end to end through the Jira client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJiraSim, type JiraSim } from '../../jira-sim/src/server.js';
import { oauth2Auth } from '../jira/auth.js';
import { JiraClient } from '../jira/client.js';
import {
  accessibleResources,
  atlassianCloudProvider,
  cloudApiBaseUrl,
  findCloudSite,
} from './atlassian-cloud.js';
import { dataCenterProvider } from './datacenter.js';
import { OAuth2Error } from './errors.js';
import {
  createAuthorization,
  exchangeCode,
  type OAuth2ClientCredentials,
  type OAuth2Provider,
  refreshTokens,
  type TokenSet,
} from './flow.js';
import { OAuth2TokenManager } from './token-manager.js';

const REDIRECT_URI = 'http://127.0.0.1:9/oauth2/callback';

type RegisteredClient = {
  clientId: string;
  clientSecret: string;
  authorizeUrl: string;
  tokenUrl: string;
  accessibleResourcesUrl?: string;
};

async function simJson(sim: JiraSim, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${sim.url}/rest/sim/1.0${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`jira-sim admin ${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return res.status === 204 ? undefined : res.json();
}

async function adminPassword(sim: JiraSim): Promise<string> {
  const info = (await simJson(sim, 'GET', '/info')) as { users: { name: string; password: string }[] };
  return info.users.find((u) => u.name === 'admin')!.password;
}

/** Plays the administrator in the browser: signs in on the consent page and clicks Accept (or Cancel). */
async function consent(sim: JiraSim, authorizationUrl: string, choice: 'approve' | 'deny'): Promise<string> {
  const url = new URL(authorizationUrl);
  const form = new URLSearchParams(url.searchParams);
  form.set('os_username', 'admin');
  form.set('os_password', await adminPassword(sim));
  form.set(choice, choice === 'approve' ? 'Accept' : 'Cancel');
  const res = await fetch(`${url.origin}${url.pathname}`, { method: 'POST', body: form, redirect: 'manual' });
  const location = res.headers.get('location');
  if (res.status !== 302 || !location)
    throw new Error(`consent did not redirect: HTTP ${res.status} ${await res.text()}`);
  return location;
}

async function failure(p: Promise<unknown>): Promise<OAuth2Error> {
  const e = await p.catch((x: unknown) => x);
  if (e instanceof OAuth2Error) return e;
  throw new Error(`expected an OAuth2Error, got ${String(e)}`);
}

const KINDS = [
  { flavor: 'cloud', cloud: true },
  { flavor: 'dc9', cloud: false },
  { flavor: 'dc10', cloud: false },
] as const;

for (const { flavor, cloud } of KINDS) {
  describe(`OAuth 2.0 against jira-sim (${flavor})`, () => {
    let sim: JiraSim;
    let registered: RegisteredClient;
    let creds: OAuth2ClientCredentials;
    let provider: OAuth2Provider;

    beforeAll(async () => {
      sim = await createJiraSim({ flavor, port: 0 });
      registered = (await simJson(sim, 'POST', '/oauth2/clients', {
        name: 'Testbridge',
        redirectUri: REDIRECT_URI,
      })) as RegisteredClient;
      creds = {
        clientId: registered.clientId,
        clientSecret: registered.clientSecret,
        redirectUri: REDIRECT_URI,
      };
      provider = cloud
        ? atlassianCloudProvider({
            authorizationEndpoint: registered.authorizeUrl,
            tokenEndpoint: registered.tokenUrl,
          })
        : dataCenterProvider(sim.baseUrl);
    });
    afterAll(async () => {
      await sim?.close();
    });

    async function authorize(): Promise<TokenSet> {
      const pending = await createAuthorization(provider, creds);
      const callback = await consent(sim, pending.url, 'approve');
      return exchangeCode(provider, creds, {
        callbackParams: callback,
        expectedState: pending.state,
        ...(pending.codeVerifier ? { codeVerifier: pending.codeVerifier } : {}),
      });
    }

    async function clientFor(tokens: TokenSet, persisted: TokenSet[] = []) {
      const manager = new OAuth2TokenManager({
        initial: tokens,
        refresh: (rt) => refreshTokens(provider, creds, rt),
        persist: async (t) => {
          persisted.push(t);
        },
      });
      let apiBaseUrl: string | undefined;
      if (cloud) {
        const sites = await accessibleResources(await manager.accessToken(), {
          endpoint: registered.accessibleResourcesUrl!,
        });
        apiBaseUrl = cloudApiBaseUrl(findCloudSite(sites, sim.baseUrl).id, sim.url);
      }
      const client = new JiraClient({
        jiraUrl: sim.url,
        ...(apiBaseUrl ? { apiBaseUrl } : {}),
        auth: oauth2Auth(manager),
      });
      return { client, manager };
    }

    it('builds the authorization URL with the provider parameters', async () => {
      const pending = await createAuthorization(provider, creds);
      const q = new URL(pending.url).searchParams;
      expect(q.get('client_id')).toBe(creds.clientId);
      expect(q.get('redirect_uri')).toBe(REDIRECT_URI);
      expect(q.get('response_type')).toBe('code');
      expect(q.get('state')).toBe(pending.state);
      if (cloud) {
        expect(q.get('audience')).toBe('api.atlassian.com');
        expect(q.get('prompt')).toBe('consent');
        expect(q.get('scope')?.split(' ')).toEqual(
          expect.arrayContaining([
            'offline_access',
            'read:jira-work',
            'write:jira-work',
            'manage:jira-webhook',
          ]),
        );
        expect(pending.codeVerifier).toBeUndefined();
      } else {
        expect(q.get('code_challenge_method')).toBe('S256');
        expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(pending.codeVerifier).toBeTruthy();
      }
    });

    it('authorizes, calls Jira with the access token, and refreshes with rotation', async () => {
      const tokens = await authorize();
      expect(tokens.accessToken).toBeTruthy();
      expect(tokens.refreshToken).toBeTruthy();
      expect(tokens.expiresAt).toBeGreaterThan(Date.now());
      const persisted: TokenSet[] = [];
      const { client, manager } = await clientFor(tokens, persisted);
      expect((await client.myself()).displayName).toBe('Administrator');

      const rotated = await manager.refresh();
      expect(rotated.refreshToken).not.toBe(tokens.refreshToken);
      expect(persisted).toEqual([rotated]);
      expect((await client.myself()).displayName).toBe('Administrator');

      // The old refresh token was spent by the rotation.
      const e = await failure(refreshTokens(provider, creds, tokens.refreshToken!));
      expect(e.code).toBe('oauth2_reauthorization_required');
      expect(e.oauthError).toBe('invalid_grant');
      expect(e.hint).toMatch(/Authorize the connection again/);
      expect(e.message).not.toContain(tokens.refreshToken!);
    });

    it('refreshes once and retries when Jira starts refusing the access token', async () => {
      const tokens = await authorize();
      const persisted: TokenSet[] = [];
      const { client } = await clientFor(tokens, persisted);
      await simJson(sim, 'DELETE', `/oauth2/tokens/${encodeURIComponent(tokens.accessToken)}`);
      const [a, b] = await Promise.all([client.myself(), client.serverInfo()]);
      expect(a.displayName).toBe('Administrator');
      expect(b.baseUrl).toBe(sim.baseUrl);
      expect(persisted).toHaveLength(1);
    });

    it('reports a denied consent as oauth2_access_denied', async () => {
      const pending = await createAuthorization(provider, creds);
      const callback = await consent(sim, pending.url, 'deny');
      const e = await failure(
        exchangeCode(provider, creds, {
          callbackParams: callback,
          expectedState: pending.state,
          ...(pending.codeVerifier ? { codeVerifier: pending.codeVerifier } : {}),
        }),
      );
      expect(e.code).toBe('oauth2_access_denied');
    });

    it('refuses a callback whose state does not match', async () => {
      const pending = await createAuthorization(provider, creds);
      const callback = await consent(sim, pending.url, 'approve');
      const e = await failure(
        exchangeCode(provider, creds, {
          callbackParams: callback,
          expectedState: 'some-other-state',
          ...(pending.codeVerifier ? { codeVerifier: pending.codeVerifier } : {}),
        }),
      );
      expect(e.code).toBe('oauth2_state_mismatch');
    });

    it('reports a wrong client secret as oauth2_invalid_client without echoing it', async () => {
      const pending = await createAuthorization(provider, creds);
      const callback = await consent(sim, pending.url, 'approve');
      const wrong = { ...creds, clientSecret: 'not-the-secret-xyz' };
      const e = await failure(
        exchangeCode(provider, wrong, {
          callbackParams: callback,
          expectedState: pending.state,
          ...(pending.codeVerifier ? { codeVerifier: pending.codeVerifier } : {}),
        }),
      );
      expect(e.code).toBe('oauth2_invalid_client');
      expect(JSON.stringify(e.toBody())).not.toContain('not-the-secret-xyz');
    });

    if (!cloud) {
      it('fails the code exchange when the PKCE verifier does not match', async () => {
        const pending = await createAuthorization(provider, creds);
        const callback = await consent(sim, pending.url, 'approve');
        const e = await failure(
          exchangeCode(provider, creds, {
            callbackParams: callback,
            expectedState: pending.state,
            codeVerifier: 'x'.repeat(43),
          }),
        );
        expect(e.code).toBe('oauth2_reauthorization_required');
      });
    }

    if (cloud) {
      it('explains a call outside the granted scopes after one refresh attempt', async () => {
        const pending = await createAuthorization(provider, creds, {
          scopes: ['offline_access', 'read:jira-user'],
        });
        const callback = await consent(sim, pending.url, 'approve');
        const tokens = await exchangeCode(provider, creds, {
          callbackParams: callback,
          expectedState: pending.state,
        });
        const persisted: TokenSet[] = [];
        const { client } = await clientFor(tokens, persisted);
        expect((await client.myself()).displayName).toBe('Administrator');
        const e = await client.listProjects().catch((x: unknown) => x);
        expect(e).toMatchObject({ code: 'jira_unauthorized', authProblem: 'insufficient_scope' });
        expect((e as Error & { hint: string }).hint).toMatch(/scope/);
        // A 401 always earns one refresh; a refresh cannot add scopes, so it is not repeated.
        expect(persisted).toHaveLength(1);
      });

      it('manages Cloud dynamic webhooks as an OAuth 2.0 app: register, list, refresh, delete', async () => {
        const { client } = await clientFor(await authorize());
        const url = 'http://127.0.0.1:9/webhooks/jira/dynamic';
        const results = await client.registerDynamicWebhooks(url, [
          { jqlFilter: 'project = DEMO', events: ['jira:issue_updated', 'jira:issue_deleted'] },
          { jqlFilter: 'project = = broken', events: ['jira:issue_updated'] },
        ]);
        expect(results[0]?.createdWebhookId).toBeTypeOf('number');
        expect(results[1]?.errors?.length).toBeGreaterThan(0);
        const id = results[0]!.createdWebhookId!;
        expect((await client.listDynamicWebhooks()).map((w) => w.id)).toEqual([id]);
        expect(await client.refreshDynamicWebhooks([id])).toBeGreaterThan(Date.now());
        await client.deleteDynamicWebhooks([id]);
        expect(await client.listDynamicWebhooks()).toEqual([]);
      });

      it('finds no site when the instance URL is not among the accessible resources', async () => {
        const tokens = await authorize();
        const sites = await accessibleResources(tokens.accessToken, {
          endpoint: registered.accessibleResourcesUrl!,
        });
        const e = (() => {
          try {
            findCloudSite(sites, 'https://other.atlassian.net');
          } catch (x) {
            return x as OAuth2Error;
          }
          throw new Error('expected no site');
        })();
        expect(e.code).toBe('oauth2_no_matching_site');
        expect(e.message).toContain(sim.baseUrl);
      });
    }
  });
}

describe('OAuth 2.0 configuration checks', () => {
  const creds = {
    clientId: 'id',
    clientSecret: 'secret',
    redirectUri: 'https://tb.example.com/oauth2/callback',
  };

  it('refuses plain http to anything but loopback', async () => {
    const e = await failure(createAuthorization(dataCenterProvider('http://jira.example.com'), creds));
    expect(e.code).toBe('oauth2_insecure_url');
  });

  it('requires a client id and secret', async () => {
    const e = await failure(createAuthorization(atlassianCloudProvider(), { ...creds, clientSecret: ' ' }));
    expect(e.code).toBe('oauth2_invalid_config');
    expect(e.message).toMatch(/client secret/);
  });

  it("uses Atlassian's production endpoints by default", async () => {
    const pending = await createAuthorization(atlassianCloudProvider(), creds);
    expect(pending.url.startsWith('https://auth.atlassian.com/authorize?')).toBe(true);
  });

  it('reports an unreachable token endpoint naming the host', async () => {
    const sim = await createJiraSim({ flavor: 'dc9', port: 0 });
    const base = sim.url;
    await sim.close();
    const e = await failure(
      refreshTokens(dataCenterProvider(base), { ...creds, redirectUri: REDIRECT_URI }, 'some-refresh-token'),
    );
    expect(e.code).toBe('oauth2_unreachable');
    expect(e.message).toContain(new URL(base).host);
  });
});
