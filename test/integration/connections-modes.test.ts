/**
 * Every other auth mode against jira-sim, where the flavour has it: basic (all), PAT
 * (Server/DC), OAuth 2.0 Cloud 3LO (cloud) and Data Center PKCE (dc9, dc10); refresh,
 * revocation and expiry shown as "needs re-authorization"; missing permissions explained.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JiraSim } from '../../jira-sim/src/server.js';
import { getInstance, jiraClientFor, openTokens } from '../../src/integration/instances.js';
import { DIALECTS } from '../../src/store/testing.js';
import {
  approveOAuth2,
  check,
  createHarness,
  expectError,
  followCallback,
  type Harness,
  type InstanceJson,
  type ReportJson,
  simJson,
  simUsers,
  startSim,
  storedText,
  uniqueName,
} from './connections-helpers.js';

type Created = { instance: InstanceJson; diagnostics?: ReportJson };
type Registered = {
  clientId: string;
  clientSecret: string;
  authorizeUrl: string;
  tokenUrl: string;
  accessibleResourcesUrl?: string;
};

const DAY = 24 * 3600 * 1000;

for (const dialect of DIALECTS) {
  describe(`Connections with basic, PAT and OAuth 2.0 [${dialect}]`, () => {
    let h: Harness;
    const sims = new Map<string, JiraSim>();
    /** Secrets handed to Testbridge in these tests, to look for in clear at the end. */
    const secrets: string[] = [];
    beforeAll(async () => {
      h = await createHarness(dialect);
      for (const flavor of ['cloud', 'server', 'dc9', 'dc10'] as const)
        sims.set(flavor, await startSim({ flavor }));
    });
    afterAll(async () => {
      await Promise.all([...sims.values()].map((s) => s.close()));
      await h?.close();
    });
    const simOf = (flavor: string) => sims.get(flavor)!;

    async function add(body: Record<string, unknown>) {
      const res = await h.admin.json<Created>('POST', '/api/jira/instances', {
        name: uniqueName('Jira'),
        ...body,
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body;
    }

    for (const flavor of ['cloud', 'server', 'dc9', 'dc10'] as const) {
      it(`basic auth on ${flavor} (${flavor === 'cloud' ? 'e-mail + API token' : 'user + password'})`, async () => {
        const s = simOf(flavor);
        const admin = (await simUsers(s)).find((u) => u.name === 'admin')!;
        const auth =
          flavor === 'cloud'
            ? { mode: 'basic', username: admin.emailAddress, password: admin.apiToken }
            : { mode: 'basic', username: 'admin', password: admin.password };
        if (flavor === 'cloud') secrets.push(admin.apiToken!);
        const created = await add({ jiraUrl: s.url, auth });
        expect(created.instance.auth).toMatchObject({ passwordSet: true });
        expect(JSON.stringify(created)).not.toContain(`"password":`);
        expect(created.diagnostics?.ok, JSON.stringify(created.diagnostics?.checks)).toBe(true);
        expect(created.instance.setupStep).toBe('done');
        expect(['connected', 'warning']).toContain(created.instance.status);
        const client = await jiraClientFor(h, created.instance.id);
        expect((await client.myself()).displayName).toBe('Administrator');
      });
    }

    it('explains a wrong password as rejected credentials', async () => {
      const s = simOf('server');
      const created = await add({
        jiraUrl: s.url,
        auth: { mode: 'basic', username: 'admin', password: 'wrong-pw-4711' },
      });
      const auth = check(created.diagnostics!, 'authentication');
      expect(auth.status).toBe('fail');
      expect(auth.message).toMatch(/did not accept the user name and password/);
      expect(created.instance.setupStep).toBe('credentials');
      expect(created.instance.status).toBe('failing');
      expect(JSON.stringify(created)).not.toContain('wrong-pw-4711');
      secrets.push('wrong-pw-4711');
    });

    it('warns when the user lacks ADMINISTER (no automatic webhooks) and fails on missing seed permissions', async () => {
      const s = simOf('dc9');
      const developer = await add({
        jiraUrl: s.url,
        auth: { mode: 'basic', username: 'developer', password: 'developer' },
      });
      const webhook = check(developer.diagnostics!, 'webhook_permission');
      expect(webhook.status).toBe('warn');
      expect(webhook.message).toMatch(/ADMINISTER/);
      expect(webhook.hint).toMatch(/create the webhooks by hand/);
      expect(check(developer.diagnostics!, 'permissions').status).toBe('pass');
      expect(developer.instance.status).toBe('warning');

      const tester = await add({
        jiraUrl: s.url,
        auth: { mode: 'basic', username: 'tester', password: 'tester' },
      });
      const perms = check(tester.diagnostics!, 'permissions');
      expect(perms.status).toBe('fail');
      expect(perms.message).toMatch(/EDIT_ISSUES/);
      expect(perms.message).not.toMatch(/BROWSE_PROJECTS/);
      expect(perms.hint).toMatch(/permission schemes/);
      expect(tester.instance.status).toBe('failing');

      // Per mapped project, too.
      await simJson(s, 'PUT', '/users/developer', { projectPermissions: { DEMO: ['BROWSE_PROJECTS'] } });
      const diag = await h.admin.json<{ diagnostics: ReportJson }>(
        'POST',
        `/api/jira/instances/${developer.instance.id}/diagnostics`,
        { projectKeys: ['DEMO'] },
      );
      const project = check(diag.body.diagnostics, 'project_permissions');
      expect(project.status).toBe('fail');
      expect(project.message).toMatch(/In project DEMO the Jira user lacks: .*EDIT_ISSUES/);
    });

    for (const flavor of ['server', 'dc9', 'dc10'] as const) {
      it(`personal access token on ${flavor}`, async () => {
        const s = simOf(flavor);
        const pat = await simJson<{ rawToken: string }>(s, 'POST', '/pats', {
          user: 'admin',
          name: 'Testbridge',
        });
        secrets.push(pat.rawToken);
        const created = await add({ jiraUrl: s.url, auth: { mode: 'pat', token: pat.rawToken } });
        expect(created.instance.auth).toMatchObject({ tokenSet: true });
        expect(created.diagnostics?.ok, JSON.stringify(created.diagnostics?.checks)).toBe(true);
        expect(JSON.stringify(created)).not.toContain(pat.rawToken);
      });
    }

    it('refuses a PAT for Jira Cloud (the flavour has none)', async () => {
      const res = await h.admin.json('POST', '/api/jira/instances', {
        name: uniqueName('Cloud PAT'),
        jiraUrl: 'https://example.atlassian.net',
        auth: { mode: 'pat', token: 'x'.repeat(20) },
      });
      expect(expectError(res).code).toBe('jira_auth_mode_unsupported');
      const s = simOf('cloud');
      const created = await add({ jiraUrl: s.url, auth: { mode: 'pat', token: 'y'.repeat(20) } });
      const info = check(created.diagnostics!, 'server_info');
      expect(info.status).toBe('fail');
      expect(info.message).toMatch(/Jira Cloud does not support the pat auth mode/);
    });

    async function addOAuth2(flavor: 'cloud' | 'dc9' | 'dc10') {
      const s = simOf(flavor);
      const registered = await simJson<Registered>(s, 'POST', '/oauth2/clients', {
        name: 'Testbridge',
        redirectUri: `${h.config.publicUrl}/oauth/callback`,
      });
      secrets.push(registered.clientSecret);
      const auth =
        flavor === 'cloud'
          ? {
              mode: 'oauth2-cloud',
              clientId: registered.clientId,
              clientSecret: registered.clientSecret,
              endpoints: {
                authorizationEndpoint: registered.authorizeUrl,
                tokenEndpoint: registered.tokenUrl,
                accessibleResourcesEndpoint: registered.accessibleResourcesUrl,
                apiGateway: s.url,
              },
            }
          : { mode: 'oauth2-dc', clientId: registered.clientId, clientSecret: registered.clientSecret };
      const created = await add({ jiraUrl: s.url, auth });
      expect(created.instance.setupStep).toBe('authorize');
      return { s, id: created.instance.id };
    }

    async function authorize2(s: JiraSim, id: string) {
      const start = await h.admin.json<{ authorizationUrl: string; kind: string }>(
        'POST',
        `/api/jira/instances/${id}/authorize`,
        {},
      );
      expect(start.status, JSON.stringify(start.body)).toBe(200);
      expect(start.body.kind).toBe('oauth2');
      const location = await approveOAuth2(s, start.body.authorizationUrl);
      return followCallback(h.admin, location);
    }

    async function rememberTokens(id: string) {
      const tokens = await openTokens(h, await getInstance(h.store.db, id));
      if (tokens?.mode === 'oauth2')
        secrets.push(tokens.accessToken, ...(tokens.refreshToken ? [tokens.refreshToken] : []));
      return tokens;
    }

    for (const flavor of ['cloud', 'dc9', 'dc10'] as const) {
      it(`OAuth 2.0 on ${flavor}: authorize with ${flavor === 'cloud' ? 'offline_access and the cloud id' : 'PKCE'}, refresh with rotation`, async () => {
        const { s, id } = await addOAuth2(flavor);
        const start = await h.admin.json<{ authorizationUrl: string }>(
          'POST',
          `/api/jira/instances/${id}/authorize`,
          {},
        );
        const q = new URL(start.body.authorizationUrl).searchParams;
        if (flavor === 'cloud') expect(q.get('scope')).toContain('offline_access');
        else expect(q.get('code_challenge_method')).toBe('S256');

        const back = await followCallback(h.admin, await approveOAuth2(s, start.body.authorizationUrl));
        expect(back.status).toBe(302);
        expect(back.headers.get('location')).toBe(`/admin/jira/instances/${id}?authorized=1`);
        const done = await h.admin.json<InstanceJson & { diagnostics: ReportJson }>(
          'GET',
          `/api/jira/instances/${id}`,
        );
        expect(done.body.diagnostics.ok, JSON.stringify(done.body.diagnostics.checks)).toBe(true);
        expect(check(done.body.diagnostics, 'credential_expiry').message).toMatch(/refresh token works/);
        if (flavor === 'cloud') expect(done.body.auth.cloudId).toBe(s.cloudId);
        expect(JSON.stringify(done.body)).not.toMatch(/"clientSecret"|"accessToken"|"refreshToken"/);

        // Two concurrent 401s share one refresh; the rotated refresh token is stored first.
        const before = await rememberTokens(id);
        await simJson(
          s,
          'DELETE',
          `/oauth2/tokens/${encodeURIComponent(before!.mode === 'oauth2' ? before!.accessToken : '')}`,
        );
        // Two clients for the same instance (say, two sync workers) share one token manager.
        const versionBefore = (await getInstance(h.store.db, id)).tokens_version;
        const [one, two] = [await jiraClientFor(h, id), await jiraClientFor(h, id)];
        const [a, b] = await Promise.all([one.myself(), two.serverInfo()]);
        expect(a.displayName).toBe('Administrator');
        expect(b.baseUrl).toBe(s.baseUrl);
        expect((await getInstance(h.store.db, id)).tokens_version).toBe(versionBefore + 1);
        const after = await rememberTokens(id);
        expect(after?.mode === 'oauth2' && after.refreshToken).not.toBe(
          before?.mode === 'oauth2' && before.refreshToken,
        );
      });
    }

    it('shows a revoked OAuth 2.0 grant as needs re-authorization, and re-authorizing fixes it', async () => {
      const { s, id } = await addOAuth2('dc10');
      await authorize2(s, id);
      const tokens = await rememberTokens(id);
      if (tokens?.mode !== 'oauth2') throw new Error('no tokens');
      await simJson(s, 'DELETE', `/oauth2/tokens/${encodeURIComponent(tokens.accessToken)}`);
      await simJson(s, 'DELETE', `/oauth2/tokens/${encodeURIComponent(tokens.refreshToken!)}`);
      const diag = await h.admin.json<{ instance: InstanceJson; diagnostics: ReportJson }>(
        'POST',
        `/api/jira/instances/${id}/diagnostics`,
        {},
      );
      expect(check(diag.body.diagnostics, 'authentication').status).toBe('fail');
      expect(check(diag.body.diagnostics, 'authentication').hint).toMatch(/Authorize the connection again/);
      expect(diag.body.instance.status).toBe('needs_reauthorization');
      expect(diag.body.instance.next.step).toBe('authorize');

      const back = await authorize2(s, id);
      expect(back.status).toBe(302);
      const fixed = await h.admin.json<InstanceJson>('GET', `/api/jira/instances/${id}`);
      expect(['connected', 'warning']).toContain(fixed.body.status);
      await rememberTokens(id);
    });

    it('shows an expired OAuth 2.0 refresh token as needs re-authorization', async () => {
      const { s, id } = await addOAuth2('cloud');
      await authorize2(s, id);
      await rememberTokens(id);
      // 91 days later for Jira: the access token and the (90-day) refresh token are dead.
      await simJson(s, 'POST', '/clock', { offsetMs: 91 * DAY });
      try {
        const diag = await h.admin.json<{ instance: InstanceJson; diagnostics: ReportJson }>(
          'POST',
          `/api/jira/instances/${id}/diagnostics`,
          {},
        );
        const auth = check(diag.body.diagnostics, 'authentication');
        expect(auth.status).toBe('fail');
        expect(auth.message).toMatch(/refused the refresh token/);
        expect(diag.body.instance.status).toBe('needs_reauthorization');
        const view = await h.admin.json<InstanceJson>('GET', `/api/jira/instances/${id}`);
        expect(view.body.status).toBe('needs_reauthorization');
      } finally {
        await simJson(s, 'POST', '/clock', { offsetMs: 0 });
      }
    });

    it('refuses an OAuth 2.0 callback whose state is unknown, and reports a denied consent', async () => {
      const bad = await h.admin.request('/oauth/callback?state=forged&code=abc');
      expect(bad.status).toBe(400);
      expect(await bad.text()).toMatch(/not known to Testbridge/);

      const { s, id } = await addOAuth2('dc9');
      const start = await h.admin.json<{ authorizationUrl: string }>(
        'POST',
        `/api/jira/instances/${id}/authorize`,
        {},
      );
      const denied = await followCallback(
        h.admin,
        await approveOAuth2(s, start.body.authorizationUrl, 'deny'),
      );
      expect(denied.status).toBe(400);
      expect(await denied.text()).toMatch(/Access was denied/);
    });

    it('never stores or logs a secret in clear', async () => {
      expect(secrets.length).toBeGreaterThan(8);
      const stored = await storedText(h);
      const logs = h.logs.join('\n');
      for (const secret of secrets) {
        expect(stored.includes(secret), 'stored in clear').toBe(false);
        expect(logs.includes(secret), 'logged').toBe(false);
      }
    });
  });
}
