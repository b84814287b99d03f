import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { createLogger } from '../log.js';
import { describeEachDialect } from '../store/testing.js';
import { Vault } from '../store/vault.js';
import { applicationLinkGuide, dialogVariant } from './application-link.js';
import type { ConnectionDeps } from './deps.js';
import {
  createInstance,
  getInstance,
  instanceView,
  listInstances,
  mappingCounts,
  openCredentials,
  openProxyUrl,
  parseInstanceInput,
  removeInstance,
  storeTokens,
  updateInstance,
} from './instances.js';
import { claimPending, createPending, lookupHash, PENDING_LIFETIME_MS, userActor } from './pending.js';

async function failure(p: Promise<unknown>): Promise<AppError> {
  const e = await p.catch((x: unknown) => x);
  if (e instanceof AppError) return e;
  throw new Error(`expected an AppError, got ${String(e)}`);
}

const name = (p: string) => `${p} ${randomBytes(3).toString('hex')}`;

describeEachDialect('Jira instances', (getStore) => {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const deps = (): ConnectionDeps => ({
    store: getStore(),
    vault: vault,
    logger: createLogger('silent'),
    config: { publicUrl: 'https://testbridge.example.com' },
    now: () => now,
  });
  const vault = new Vault(randomBytes(32));

  it('creates, lists, shows and removes an instance without exposing a secret', async () => {
    const d = deps();
    const row = await createInstance(d, {
      name: name('Basic'),
      jiraUrl: 'https://jira.example.com/jira/',
      proxyUrl: 'http://proxyuser:proxy-pass-123@proxy.example.com:3128',
      auth: { mode: 'basic', username: 'bot', password: 'hunter2-secret' },
    });
    expect(row.jira_url).toBe('https://jira.example.com/jira');
    expect(row.base_url).toBe(row.jira_url);
    const view = instanceView(row);
    expect(view.proxy).toEqual({ enabled: true, host: 'proxy.example.com:3128' });
    expect(view.auth).toEqual({ username: 'bot', passwordSet: true });
    expect(view.setupStep).toBe('diagnostics');
    expect(view.next.action).toContain(`/api/jira/instances/${row.id}/diagnostics`);
    const text = JSON.stringify(await d.store.db.selectFrom('jira_instances').selectAll().execute());
    expect(text).not.toContain('hunter2-secret');
    expect(text).not.toContain('proxy-pass-123');
    expect(await openProxyUrl(d, row)).toContain('proxy-pass-123');
    expect(await openCredentials(d, row)).toEqual({ mode: 'basic', password: 'hunter2-secret' });
    expect((await listInstances(d.store.db)).map((r) => r.id)).toContain(row.id);
    expect((await getInstance(d.store.db, row.name)).id).toBe(row.id);
    await removeInstance(d, row.id);
    expect((await failure(getInstance(d.store.db, row.id))).status).toBe(404);
  });

  it('refuses to remove an instance that still has project mappings, and counts them', async () => {
    const d = deps();
    const row = await createInstance(d, {
      name: name('Mapped'),
      jiraUrl: 'https://jira.example.com',
      auth: { mode: 'pat', token: 't' },
    });
    const at = new Date().toISOString();
    const projectId = `p-${randomBytes(4).toString('hex')}`;
    await d.store.db
      .insertInto('tm_projects')
      .values({
        id: projectId,
        key: projectId.toUpperCase(),
        name: 'P',
        description: null,
        created_at: at,
        updated_at: at,
      })
      .execute();
    await d.store.db
      .insertInto('sync_mappings')
      .values({
        id: `m-${projectId}`,
        project_id: projectId,
        jira_instance_id: row.id,
        jira_project_id: '10000',
        jira_project_key: 'DEMO',
        jira_project_name: 'Demo',
        requirement_types: '[]',
        defect_types: '[]',
        version_mode: 'all',
        synced_fields: '[]',
        state: 'active',
        webhook_mode: 'manual',
        webhook_token: `tok-${projectId}`,
        webhook_state: 'none',
        import_state: 'pending',
        created_at: at,
        updated_at: at,
      } as never)
      .execute();
    expect((await mappingCounts(d.store.db)).get(row.id)).toBe(1);
    const e = await failure(removeInstance(d, row.id));
    expect(e.code).toBe('jira_instance_in_use');
    expect(e.status).toBe(409);
    expect(e.hint).toMatch(/Remove its project mappings first/);
  });

  it('refuses bad input with a clear error each', async () => {
    const d = deps();
    const taken = name('Taken');
    await createInstance(d, {
      name: taken,
      jiraUrl: 'https://a.example.com',
      auth: { mode: 'pat', token: 't0ken' },
    });
    const cases: [Record<string, unknown>, string][] = [
      [{ jiraUrl: 'jira.example.com' }, 'jira_url_invalid'],
      [{ jiraUrl: 'ftp://jira.example.com' }, 'jira_url_invalid'],
      [{ jiraUrl: 'https://user:pw@jira.example.com' }, 'jira_url_invalid'],
      [{ jiraUrl: 'https://jira.example.com/?a=b' }, 'jira_url_invalid'],
      [{ proxyUrl: 'socks5://proxy:1080' }, 'jira_proxy_invalid'],
      [{ tls: { caPem: 'not a certificate' } }, 'jira_tls_ca_invalid'],
      [{ name: taken.toUpperCase() }, 'jira_instance_name_taken'],
      [
        { jiraUrl: 'https://acme.atlassian.net', auth: { mode: 'pat', token: 'x' } },
        'jira_auth_mode_unsupported',
      ],
    ];
    for (const [patch, code] of cases) {
      const input = parseInstanceInput({
        name: name('Bad'),
        jiraUrl: 'https://jira.example.com',
        auth: { mode: 'basic', username: 'u', password: 'p' },
        ...patch,
      });
      const e = await failure(createInstance(d, input));
      expect(e.code, JSON.stringify(patch)).toBe(code);
      expect(e.hint, code).toBeTruthy();
    }
    expect(() => parseInstanceInput({ name: 'x', jiraUrl: 'https://j', auth: { mode: 'kerberos' } })).toThrow(
      /auth.mode must be one of oauth1, oauth2-cloud, oauth2-dc, pat, basic/,
    );
    const secretEcho = (() => {
      try {
        parseInstanceInput({ name: 'x', jiraUrl: 'https://j', auth: { mode: 'pat', token: 42 } });
      } catch (e) {
        return (e as AppError).message;
      }
    })();
    expect(secretEcho).toMatch(/auth.token/);
  });

  it('keeps the oauth1 key pair when the consumer key changes, and makes a new one on request', async () => {
    const d = deps();
    const row = await createInstance(d, {
      name: name('OAuth1'),
      jiraUrl: 'https://jira.example.com',
      auth: { mode: 'oauth1', consumerKey: 'tb-one', keyBits: 1024 },
    });
    const before = instanceView(row).auth;
    expect(before.keySource).toBe('generated');
    expect(before.warnings).toEqual([expect.stringMatching(/1024-bit RSA key is weak/)]);
    const renamed = await updateInstance(d, row.id, { auth: { mode: 'oauth1', consumerKey: 'tb-two' } });
    const after = instanceView(renamed).auth;
    expect(after.consumerKey).toBe('tb-two');
    expect(after.keyFingerprint).toEqual(before.keyFingerprint);
    const regenerated = await updateInstance(d, row.id, {
      auth: { mode: 'oauth1', consumerKey: 'tb-two', keyBits: 1024, regenerateKey: true },
    });
    expect(instanceView(regenerated).auth.keyFingerprint).not.toEqual(before.keyFingerprint);
  });

  it('new credentials drop the stored tokens and send the admin back to authorize', async () => {
    const d = deps();
    const row = await createInstance(d, {
      name: name('OAuth2'),
      jiraUrl: 'https://jira.example.com',
      auth: { mode: 'oauth2-dc', clientId: 'cid', clientSecret: 'csecret' },
    });
    const v1 = await storeTokens(d, row.id, { mode: 'oauth2', accessToken: 'at', refreshToken: 'rt' }, null);
    expect(v1).toBe(1);
    expect(
      await storeTokens(d, row.id, { mode: 'oauth2', accessToken: 'x' }, null, { expectedVersion: 0 }),
    ).toBe(-1);
    const updated = await updateInstance(d, row.id, {
      auth: { mode: 'oauth2-dc', clientId: 'cid', clientSecret: 'other' },
    });
    expect(updated.tokens_sealed).toBeNull();
    expect(instanceView(updated)).toMatchObject({
      authorized: false,
      setupStep: 'authorize',
      status: 'setup',
    });
  });

  it('pending authorizations expire, are bound to their starter and are spent once', async () => {
    const d = deps();
    const row = await createInstance(d, {
      name: name('Pending'),
      jiraUrl: 'https://jira.example.com',
      auth: { mode: 'oauth2-dc', clientId: 'cid', clientSecret: 'cs' },
    });
    const alice = userActor('alice');
    const make = (lookup: string) =>
      createPending(d, {
        instanceId: row.id,
        kind: 'oauth2',
        lookup,
        secret: { s: 1 },
        callback: 'x',
        startedBy: alice,
      });
    const pending = await make('state-1');
    expect(pending.lookup_hash).toBe(lookupHash('state-1'));
    expect(pending.request_sealed).not.toContain('"s"');
    expect((await failure(claimPending(d, pending, userActor('bob')))).code).toBe(
      'oauth_authorization_wrong_user',
    );
    expect((await failure(claimPending(d, pending, undefined))).code).toBe('oauth_authorization_wrong_user');
    const claimed = await claimPending<{ s: number }>(d, pending, alice);
    expect(claimed.secret).toEqual({ s: 1 });
    const fresh = await d.store.db
      .selectFrom('jira_authorizations')
      .selectAll()
      .where('id', '=', pending.id)
      .executeTakeFirstOrThrow();
    expect((await failure(claimPending(d, fresh, alice))).code).toBe('oauth_authorization_in_progress');

    const old = await make('state-2');
    now += PENDING_LIFETIME_MS + 1;
    try {
      const e = await failure(claimPending(d, old, alice));
      expect(e.code).toBe('oauth_authorization_expired');
      expect(e.status).toBe(410);
    } finally {
      now -= PENDING_LIFETIME_MS + 1;
    }
    // A newer authorization voids the older one.
    const older = await make('state-3');
    await make('state-4');
    const voided = await d.store.db
      .selectFrom('jira_authorizations')
      .selectAll()
      .where('id', '=', older.id)
      .executeTakeFirstOrThrow();
    expect((await failure(claimPending(d, voided, alice))).code).toBe('oauth_authorization_unknown');
  });
});

describe('application link values', () => {
  it('picks the dialog of the Jira version and strips the public key to its body', () => {
    expect(dialogVariant({ cloud: true, major: 1001 })).toBe('cloud');
    expect(dialogVariant({ cloud: false, major: 8 })).toBe('server-below-9');
    expect(dialogVariant({ cloud: false, major: 9 })).toBe('datacenter-9-plus');
    expect(dialogVariant({ cloud: false, major: 10 })).toBe('datacenter-9-plus');
    const row = {
      id: 'i1',
      name: 'J',
      auth_mode: 'oauth1',
      deployment_json: null,
      auth_json: JSON.stringify({
        mode: 'oauth1',
        consumerKey: 'tb',
        consumerName: 'Testbridge',
        keyFingerprint: { sha256: 'SHA256:abc', hex: 'AB' },
        publicKeyPem: '-----BEGIN PUBLIC KEY-----\nMIIB\nIjAN\n-----END PUBLIC KEY-----\n',
      }),
    } as never;
    const guide = applicationLinkGuide({ config: { publicUrl: 'https://tb.example.com' } }, row);
    expect(guide.values).toMatchObject({
      applicationUrl: 'https://tb.example.com',
      consumerKey: 'tb',
      publicKey: 'MIIBIjAN',
      callbackUrl: 'https://tb.example.com/oauth/callback',
    });
    expect(guide.detected).toBeNull();
    expect(guide.variants.map((v) => v.variant)).toEqual(['cloud', 'server-below-9', 'datacenter-9-plus']);
    expect(guide.variants[0]!.steps.join('\n')).toMatch(/Create incoming link/);
  });
});
