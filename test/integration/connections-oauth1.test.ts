/**
 * The OAuth 1.0a wizard end to end against jira-sim, through the REST API: application link
 * values, request token, approval in Jira, callback (or pasted code), sealed token,
 * diagnostics; and each wrong setup producing its own translated error.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JiraSim } from '../../jira-sim/src/server.js';
import { jiraClientFor } from '../../src/integration/instances.js';
import { openTokens, getInstance } from '../../src/integration/instances.js';
import { DIALECTS } from '../../src/store/testing.js';
import {
  approveOAuth1,
  check,
  createHarness,
  expectError,
  followCallback,
  type Harness,
  type InstanceJson,
  type ReportJson,
  simJson,
  startSim,
  storedText,
  uniqueName,
} from './connections-helpers.js';

type LinkGuide = {
  values: { consumerKey: string; publicKey: string; callbackUrl: string; applicationUrl: string };
  detected: string | null;
  variants: { variant: string; steps: string[] }[];
};
type Start = { kind: string; authorizationUrl: string; callback: string; authorizationId: string };

async function addOAuth1(
  h: Harness,
  sim: JiraSim,
  extra: Record<string, unknown> = {},
  auth: Record<string, unknown> = {},
) {
  const consumerKey = uniqueName('testbridge').replace(' ', '-');
  const res = await h.admin.json<{ instance: InstanceJson; applicationLink: LinkGuide }>(
    'POST',
    '/api/jira/instances',
    {
      name: uniqueName('Jira'),
      jiraUrl: sim.url,
      auth: { mode: 'oauth1', consumerKey, ...auth },
      ...extra,
    },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { consumerKey, ...res.body };
}

async function createLinkInSim(sim: JiraSim, values: LinkGuide['values']) {
  await simJson(sim, 'POST', '/application-links', {
    name: 'Testbridge',
    applicationUrl: values.applicationUrl,
    consumerKey: values.consumerKey,
    consumerName: 'Testbridge',
    publicKey: values.publicKey,
  });
}

const EXPECTED_VARIANT = {
  cloud: 'cloud',
  server: 'server-below-9',
  dc9: 'datacenter-9-plus',
  dc10: 'datacenter-9-plus',
};

for (const dialect of DIALECTS) {
  describe(`OAuth 1.0a connections [${dialect}]`, () => {
    let h: Harness;
    const sims: JiraSim[] = [];
    beforeAll(async () => {
      h = await createHarness(dialect);
    });
    afterAll(async () => {
      await Promise.all(sims.map((s) => s.close()));
      await h?.close();
    });
    const sim = async (options: Parameters<typeof startSim>[0]) => {
      const s = await startSim(options);
      sims.push(s);
      return s;
    };

    for (const flavor of ['cloud', 'server', 'dc9', 'dc10'] as const) {
      it(`connects to ${flavor}: link values, authorize, callback, diagnostics`, async () => {
        const s = await sim({ flavor });
        const added = await addOAuth1(h, s);
        expect(added.instance.setupStep).toBe('application-link');
        expect(added.instance.status).toBe('setup');
        expect(added.applicationLink.values.callbackUrl).toBe(`${h.config.publicUrl}/oauth/callback`);
        expect(added.applicationLink.values.publicKey).not.toMatch(/BEGIN|END|\s/);

        const guide = await h.admin.json<LinkGuide>(
          'GET',
          `/api/jira/instances/${added.instance.id}/application-link`,
        );
        expect(guide.body.detected).toBe(EXPECTED_VARIANT[flavor]);
        expect(guide.body.variants[0]!.steps.join(' ')).toContain(added.consumerKey);
        await createLinkInSim(s, guide.body.values);

        const start = await h.admin.json<Start>(
          'POST',
          `/api/jira/instances/${added.instance.id}/authorize`,
          {},
        );
        expect(start.status, JSON.stringify(start.body)).toBe(200);
        expect(start.body.authorizationUrl).toMatch(/\/plugins\/servlet\/oauth\/authorize\?oauth_token=/);
        const mid = await h.admin.json<InstanceJson>('GET', `/api/jira/instances/${added.instance.id}`);
        expect(mid.body.setupStep).toBe('authorize');

        const approved = await approveOAuth1(s, start.body.authorizationUrl);
        expect(approved.location).toContain('/oauth/callback?');
        const back = await followCallback(h.admin, approved.location!);
        expect(back.status).toBe(302);
        expect(back.headers.get('location')).toBe(`/admin/jira/instances/${added.instance.id}?authorized=1`);

        const done = await h.admin.json<InstanceJson & { diagnostics: ReportJson }>(
          'GET',
          `/api/jira/instances/${added.instance.id}`,
        );
        expect(done.body.setupStep).toBe('done');
        expect(done.body.authorized).toBe(true);
        expect(['connected', 'warning']).toContain(done.body.status);
        expect(done.body.actingUser).toContain('Administrator');
        expect(done.body.deployment?.cloud).toBe(flavor === 'cloud');
        const report = done.body.diagnostics;
        expect(report.ok, JSON.stringify(report.checks)).toBe(true);
        for (const id of [
          'reachability',
          'server_info',
          'base_url',
          'clock',
          'authentication',
          'permissions',
        ]) {
          expect(check(report, id).status, id).toBe('pass');
        }
        expect(check(report, 'credential_expiry').message).toMatch(/valid until/);
        for (const c of report.checks) expect(typeof c.ms).toBe('number');

        // The sync's entry point works on the stored credentials.
        const client = await jiraClientFor(h, added.instance.id);
        expect((await client.myself()).displayName).toBe('Administrator');
        expect((await client.deployment()).cloud).toBe(flavor === 'cloud');
      });
    }

    it('accepts a pasted private key and the verification code pasted with its quotes (oob)', async () => {
      const s = await sim({ flavor: 'server' });
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const added = await addOAuth1(h, s, {}, { privateKey: pem });
      expect(added.instance.auth.keySource).toBe('pasted');
      expect(JSON.stringify(added)).not.toContain(pem.split('\n')[1]!);
      await createLinkInSim(s, added.applicationLink.values);
      const start = await h.admin.json<Start>('POST', `/api/jira/instances/${added.instance.id}/authorize`, {
        oob: true,
      });
      expect(start.body.callback).toBe('oob');
      const page = await approveOAuth1(s, start.body.authorizationUrl);
      const code = /id="verification-code">([^<]+)</.exec(page.html)?.[1];
      expect(code).toBeTruthy();
      const verified = await h.admin.json<{ instance: InstanceJson; diagnostics: ReportJson }>(
        'POST',
        `/api/jira/instances/${added.instance.id}/verify`,
        { verifier: ` '${code}' ` },
      );
      expect(verified.status, JSON.stringify(verified.body)).toBe(200);
      expect(verified.body.instance.setupStep).toBe('done');
      expect(verified.body.diagnostics.ok).toBe(true);
    });

    it('explains an unknown consumer key', async () => {
      const s = await sim({ flavor: 'dc9' });
      const added = await addOAuth1(h, s);
      const res = await h.admin.json('POST', `/api/jira/instances/${added.instance.id}/authorize`, {});
      expect(res.status).toBe(400);
      const e = expectError(res);
      expect(e.code).toBe('oauth1_consumer_key_unknown');
      expect(e.message).toContain(added.consumerKey);
      expect(e.hint).toMatch(/Create incoming link/);
      const row = await h.admin.json<InstanceJson>('GET', `/api/jira/instances/${added.instance.id}`);
      expect(row.body.setupStep).toBe('application-link');
      expect(row.body.statusMessage).toContain(added.consumerKey);
    });

    it('explains a public key in Jira that does not match the private key', async () => {
      const s = await sim({ flavor: 'dc10' });
      const added = await addOAuth1(h, s);
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
        type: 'spki',
        format: 'pem',
      });
      await createLinkInSim(s, {
        ...added.applicationLink.values,
        publicKey: other.toString().replace(/-----[^-]+-----|\s/g, ''),
      });
      const res = await h.admin.json('POST', `/api/jira/instances/${added.instance.id}/authorize`, {});
      const e = expectError(res);
      expect(e.code).toBe('oauth1_signature_invalid');
      expect(e.message).toMatch(/private key does not match the public key/);
      expect(e.hint).toContain(added.consumerKey);
    });

    it('explains a Jira behind a proxy whose base URL differs, then works once the base URL is set', async () => {
      const publicBase = 'https://jira.example.com/jira';
      const s = await sim({ flavor: 'server', contextPath: '/jira', baseUrl: publicBase });
      const added = await addOAuth1(h, s);
      await createLinkInSim(s, added.applicationLink.values);
      const res = await h.admin.json('POST', `/api/jira/instances/${added.instance.id}/authorize`, {});
      const e = expectError(res);
      expect(e.code).toBe('oauth1_signature_invalid');
      expect(`${e.message} ${e.hint}`).toContain(`${publicBase}/plugins/servlet/oauth/request-token`);
      expect(`${e.message} ${e.hint}`).toContain(`${s.url}/plugins/servlet/oauth/request-token`);
      expect(e.hint).toContain(`Set the Jira base URL in Testbridge to ${publicBase}`);

      const patched = await h.admin.json<InstanceJson>('PATCH', `/api/jira/instances/${added.instance.id}`, {
        baseUrl: publicBase,
      });
      expect(patched.status).toBe(200);
      const start = await h.admin.json<Start>(
        'POST',
        `/api/jira/instances/${added.instance.id}/authorize`,
        {},
      );
      expect(start.status, JSON.stringify(start.body)).toBe(200);
      expect(start.body.authorizationUrl.startsWith(`${publicBase}/plugins/servlet/oauth/authorize`)).toBe(
        true,
      );
      const approved = await approveOAuth1(s, start.body.authorizationUrl);
      const back = await followCallback(h.admin, approved.location!);
      expect(back.status).toBe(302);
      const done = await h.admin.json<InstanceJson & { diagnostics: ReportJson }>(
        'GET',
        `/api/jira/instances/${added.instance.id}`,
      );
      expect(check(done.body.diagnostics, 'base_url').status).toBe('pass');
      expect(check(done.body.diagnostics, 'authentication').status).toBe('pass');
    });

    it('explains clock skew with the measured offset', async () => {
      const s = await sim({ flavor: 'dc9', clockOffsetMs: 10 * 60 * 1000 });
      const added = await addOAuth1(h, s);
      await createLinkInSim(s, added.applicationLink.values);
      const res = await h.admin.json('POST', `/api/jira/instances/${added.instance.id}/authorize`, {});
      const e = expectError(res);
      expect(e.code).toBe('oauth1_timestamp_refused');
      expect(e.message).toMatch(/clock is (59\d|60\d) seconds behind Jira's/);
      expect(e.hint).toMatch(/NTP/);
      // Diagnostics measure the same offset without any credential.
      const diag = await h.admin.json<{ diagnostics: ReportJson }>(
        'POST',
        `/api/jira/instances/${added.instance.id}/diagnostics`,
        {},
      );
      const clock = check(diag.body.diagnostics, 'clock');
      expect(clock.status).toBe('fail');
      expect(clock.message).toMatch(/(59\d|60\d) seconds ahead of/);
    });

    it('detects a revoked token: diagnostics fail and the instance needs re-authorization', async () => {
      const s = await sim({ flavor: 'server' });
      const added = await addOAuth1(h, s);
      await createLinkInSim(s, added.applicationLink.values);
      const start = await h.admin.json<Start>(
        'POST',
        `/api/jira/instances/${added.instance.id}/authorize`,
        {},
      );
      await followCallback(h.admin, (await approveOAuth1(s, start.body.authorizationUrl)).location!);
      const tokens = await simJson<{ token: string; consumerKey: string }[]>(s, 'GET', '/oauth/tokens');
      const ours = tokens.find((t) => t.consumerKey === added.consumerKey)!;
      await simJson(s, 'DELETE', `/oauth/tokens/${encodeURIComponent(ours.token)}`);

      // The sync notices first: its call fails and the instance says so without waiting for diagnostics.
      const client = await jiraClientFor(h, added.instance.id);
      await expect(client.myself()).rejects.toMatchObject({ code: 'jira_unauthorized' });
      const marked = await h.admin.json<InstanceJson>('GET', `/api/jira/instances/${added.instance.id}`);
      expect(marked.body.status).toBe('needs_reauthorization');
      expect(marked.body.statusMessage).not.toContain(ours.token);

      const diag = await h.admin.json<{ instance: InstanceJson; diagnostics: ReportJson }>(
        'POST',
        `/api/jira/instances/${added.instance.id}/diagnostics`,
        {},
      );
      const auth = check(diag.body.diagnostics, 'authentication');
      expect(auth.status).toBe('fail');
      expect(auth.message).toMatch(/does not know the OAuth token/);
      expect(auth.hint).toMatch(/Authorize Testbridge again/);
      expect(diag.body.instance.status).toBe('needs_reauthorization');
      expect(diag.body.instance.next.step).toBe('authorize');
      expect(JSON.stringify(diag.body)).not.toContain(ours.token);
    });

    it('refuses a callback with an unknown token, a second use, and another admin', async () => {
      const unknown = await h.admin.request('/oauth/callback?oauth_token=nope&oauth_verifier=abc');
      expect(unknown.status).toBe(400);
      expect(await unknown.text()).toMatch(/not known to Testbridge/);

      const s = await sim({ flavor: 'dc10' });
      const added = await addOAuth1(h, s);
      await createLinkInSim(s, added.applicationLink.values);
      const start = await h.admin.json<Start>(
        'POST',
        `/api/jira/instances/${added.instance.id}/authorize`,
        {},
      );
      const approved = await approveOAuth1(s, start.body.authorizationUrl);

      const other = await h.signedIn('admin');
      const foreign = await followCallback(other.client, approved.location!);
      expect(foreign.status).toBe(403);
      expect(await foreign.text()).toMatch(/started by another Testbridge administrator/);
      const anonymous = await followCallback(h.anonymous(), approved.location!);
      expect(anonymous.status).toBe(403);

      expect((await followCallback(h.admin, approved.location!)).status).toBe(302);
      const again = await followCallback(h.admin, approved.location!);
      expect(again.status).toBe(400);
    });

    it('explains a Deny in Jira', async () => {
      const s = await sim({ flavor: 'cloud' });
      const added = await addOAuth1(h, s);
      await createLinkInSim(s, added.applicationLink.values);
      const start = await h.admin.json<Start>(
        'POST',
        `/api/jira/instances/${added.instance.id}/authorize`,
        {},
      );
      const denied = await approveOAuth1(s, start.body.authorizationUrl, 'deny');
      const res = await followCallback(h.admin, denied.location!);
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(html).toMatch(/Access was denied in Jira/);
      expect(html).toContain(`/admin/jira/instances/${added.instance.id}`);
      const view = await h.admin.json<
        InstanceJson & { authorization: { status: string; error: { code: string } } }
      >('GET', `/api/jira/instances/${added.instance.id}`);
      expect(view.body.authorization).toMatchObject({
        status: 'failed',
        error: { code: 'oauth1_permission_denied' },
      });
      expect(view.body.authorized).toBe(false);
    });

    it('refuses an expired authorization clearly', async () => {
      const s = await sim({ flavor: 'server' });
      const added = await addOAuth1(h, s);
      await createLinkInSim(s, added.applicationLink.values);
      const start = await h.admin.json<Start>(
        'POST',
        `/api/jira/instances/${added.instance.id}/authorize`,
        {},
      );
      await h.store.db
        .updateTable('jira_authorizations')
        .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
        .where('id', '=', start.body.authorizationId)
        .execute();
      const approved = await approveOAuth1(s, start.body.authorizationUrl);
      const res = await followCallback(h.admin, approved.location!);
      expect(res.status).toBe(410);
      expect(await res.text()).toMatch(/expired/);
    });

    it('never stores or logs a secret in clear', async () => {
      const rows = await h.store.db.selectFrom('jira_instances').selectAll().execute();
      const secrets: string[] = [];
      for (const row of rows) {
        const full = await getInstance(h.store.db, row.id);
        const tokens = await openTokens(h, full);
        if (tokens?.mode === 'oauth1') secrets.push(tokens.accessToken, tokens.tokenSecret);
        const creds = JSON.parse(
          h.vault.open(full.credentials_sealed!, `jira_instances:${row.id}:credentials`),
        ) as {
          privateKeyPem?: string;
        };
        if (creds.privateKeyPem)
          secrets.push(creds.privateKeyPem.split('\n')[1]!, creds.privateKeyPem.split('\n')[5]!);
      }
      expect(secrets.length).toBeGreaterThan(10);
      const stored = await storedText(h);
      const logs = h.logs.join('\n');
      for (const secret of secrets) {
        expect(stored.includes(secret), 'stored in clear').toBe(false);
        expect(logs.includes(secret), 'logged').toBe(false);
      }
    });
  });
}
