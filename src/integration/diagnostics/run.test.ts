import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { FetchLike } from '../../jira/transport.js';
import { createLogger } from '../../log.js';
import { describeEachDialect } from '../../store/testing.js';
import { Vault } from '../../store/vault.js';
import type { ConnectionDeps } from '../deps.js';
import { createInstance, getInstance, instanceView } from '../instances.js';
import { runDiagnostics, translateAuthFailure } from './run.js';
import type { DiagnosticsReport } from './types.js';

const check = (r: DiagnosticsReport, id: string) => {
  const c = r.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no ${id} check`);
  return c;
};

/** A Jira that only exists inside this fetch: no network, any host name. */
function fakeJira(options: {
  version?: string;
  deploymentType?: string;
  baseUrl: string;
  serverTime?: string;
}) {
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const fetchLike: FetchLike = async (input) => {
    const url = new URL(String(input));
    if (url.pathname.endsWith('/rest/api/2/serverInfo')) {
      const version = options.version ?? '9.12.0';
      return json(200, {
        baseUrl: options.baseUrl,
        version,
        versionNumbers: version.split('.').map(Number),
        deploymentType: options.deploymentType ?? 'Server',
        serverTime: options.serverTime ?? new Date().toISOString().replace('Z', '+0000'),
      });
    }
    if (url.pathname.endsWith('/rest/api/2/myself'))
      return json(200, { name: 'jira-bot', displayName: 'Jira Bot' });
    if (url.pathname.endsWith('/rest/api/2/mypermissions')) {
      const keys = (url.searchParams.get('permissions') ?? '').split(',');
      return json(200, {
        permissions: Object.fromEntries(keys.map((k) => [k, { key: k, havePermission: true }])),
      });
    }
    return json(404, { errorMessages: ['not here'] });
  };
  return fetchLike;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describeEachDialect('connection diagnostics', (getStore) => {
  const deps = (publicUrl = 'https://testbridge.example.com'): ConnectionDeps => ({
    store: getStore(),
    vault: new Vault(randomBytes(32)),
    logger: createLogger('silent'),
    config: { publicUrl },
  });
  const basic = { mode: 'basic' as const, username: 'jira-bot', password: 'pw-9d1c2e' };

  it('warns about plain http to a remote Jira, a localhost public URL, and a base URL Jira does not use', async () => {
    const d = deps('http://localhost:8080');
    const row = await createInstance(d, {
      name: `remote ${randomBytes(3).toString('hex')}`,
      jiraUrl: 'http://jira.example.com',
      auth: basic,
    });
    const fetch = fakeJira({ baseUrl: 'https://jira.example.com' });
    const report = await runDiagnostics(d, row.id, { fetch });
    expect(check(report, 'tls')).toMatchObject({
      status: 'warn',
      message: expect.stringMatching(/TLS is not used/),
    });
    expect(check(report, 'public_url').status).toBe('warn');
    expect(check(report, 'public_url').message).toMatch(
      /local address, which Jira at jira.example.com cannot reach/,
    );
    const base = check(report, 'base_url');
    expect(base.status).toBe('warn');
    expect(base.message).toContain('https://jira.example.com');
    expect(base.message).toContain('http://jira.example.com');
    expect(check(report, 'authentication').message).toBe('Testbridge acts in Jira as Jira Bot (jira-bot).');
    expect(report.ok).toBe(true);
    const view = instanceView(await getInstance(d.store.db, row.id));
    expect(view.status).toBe('warning');
    expect(view.actingUser).toBe('Jira Bot (jira-bot)');
    expect(view.deployment).toMatchObject({ cloud: false, major: 9, version: '9.12.0' });
  });

  it('fails an unsupported Jira version and reports the clock offset from serverTime', async () => {
    const d = deps();
    const row = await createInstance(d, {
      name: `old ${randomBytes(3).toString('hex')}`,
      jiraUrl: 'http://old-jira.example.com',
      auth: basic,
    });
    const fetch = fakeJira({
      baseUrl: 'http://old-jira.example.com',
      version: '7.13.0',
      serverTime: new Date(Date.now() + 90_000).toISOString().replace('Z', '+0000'),
    });
    // http:// so the TLS check needs no handshake with a host that only exists in this fetch.
    const report = await runDiagnostics(d, row.id, { fetch, timeoutMs: 500 });
    expect(check(report, 'server_info')).toMatchObject({ status: 'fail' });
    expect(check(report, 'server_info').message).toMatch(/Jira Server 7.13.0 is not supported/);
    const clock = check(report, 'clock');
    expect(clock.status).toBe('warn');
    expect(clock.details?.offsetSeconds).toBeGreaterThanOrEqual(88);
    expect(clock.details?.offsetSeconds).toBeLessThanOrEqual(92);
    expect(report.ok).toBe(false);
  });

  it('explains a Jira that refuses connections and skips what depends on it', async () => {
    const d = deps();
    const port = await closedPort();
    const row = await createInstance(d, {
      name: `down ${randomBytes(3).toString('hex')}`,
      jiraUrl: `http://127.0.0.1:${port}`,
      auth: basic,
    });
    const report = await runDiagnostics(d, row.id);
    const reach = check(report, 'reachability');
    expect(reach.status).toBe('fail');
    expect(reach.message).toMatch(/refused the connection/);
    expect(reach.hint).toMatch(/port/);
    for (const id of ['server_info', 'base_url', 'clock', 'authentication', 'permissions']) {
      expect(check(report, id).status, id).toBe('skip');
    }
    expect((await getInstance(d.store.db, row.id)).status).toBe('failing');
  });

  it('says an oauth1 instance is not authorized yet instead of failing obscurely', async () => {
    const d = deps();
    const row = await createInstance(d, {
      name: `new ${randomBytes(3).toString('hex')}`,
      jiraUrl: 'http://jira.example.com',
      auth: { mode: 'oauth1', consumerKey: 'tb', keyBits: 1024 },
    });
    const report = await runDiagnostics(d, row.id, {
      fetch: fakeJira({ baseUrl: 'http://jira.example.com' }),
    });
    expect(check(report, 'authentication').message).toMatch(/has not been authorized yet/);
    expect(check(report, 'authentication').hint).toContain(`/api/jira/instances/${row.id}/authorize`);
    const view = instanceView(await getInstance(d.store.db, row.id));
    expect(view.status).toBe('setup');
    expect(view.setupStep).toBe('application-link');
  });
});

describe('translateAuthFailure', () => {
  it('rethrows what it cannot explain', () => {
    expect(() => translateAuthFailure({ auth_mode: 'basic' } as never, new TypeError('boom'))).toThrow(
      'boom',
    );
  });
});
