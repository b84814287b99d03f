/**
 * Reaching Jira through an outbound HTTP proxy: diagnostics, the OAuth 1.0a dance and the
 * Jira client all go through it (with its credentials, which never show up anywhere).
 */
import { createServer, request, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JiraSim } from '../../jira-sim/src/server.js';
import { jiraClientFor } from '../../src/integration/instances.js';
import {
  approveOAuth1,
  check,
  createHarness,
  followCallback,
  type Harness,
  type InstanceJson,
  type ReportJson,
  simJson,
  startSim,
  storedText,
  uniqueName,
} from './connections-helpers.js';

/** A forward proxy (CONNECT tunnels and absolute-URI requests) that records what it carried. */
async function startProxy(): Promise<{
  url: string;
  seen: { target: string; auth: string | undefined }[];
  close(): Promise<void>;
}> {
  const seen: { target: string; auth: string | undefined }[] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ target: req.url ?? '', auth: req.headers['proxy-authorization'] });
    const target = new URL(req.url ?? '');
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: req.method,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  server.on('connect', (req, socket, head) => {
    seen.push({ target: req.url ?? '', auth: req.headers['proxy-authorization'] });
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://proxy-user:proxy-secret-77@127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('Connections through an outbound proxy [sqlite]', () => {
  let h: Harness;
  let sim: JiraSim;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  beforeAll(async () => {
    h = await createHarness('sqlite');
    sim = await startSim({ flavor: 'dc10' });
    proxy = await startProxy();
  });
  afterAll(async () => {
    await sim?.close();
    await proxy?.close();
    await h?.close();
  });

  it('runs the OAuth 1.0a dance, the diagnostics and the client through the proxy', async () => {
    const created = await h.admin.json<{
      instance: InstanceJson;
      applicationLink: { values: Record<string, string> };
    }>('POST', '/api/jira/instances', {
      name: uniqueName('Proxied'),
      jiraUrl: sim.url,
      proxyUrl: proxy.url,
      auth: { mode: 'oauth1', consumerKey: 'tb-proxy' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(JSON.stringify(created.body)).not.toContain('proxy-secret-77');
    const id = created.body.instance.id;
    const v = created.body.applicationLink.values;
    await simJson(sim, 'POST', '/application-links', {
      name: 'Testbridge',
      applicationUrl: v.applicationUrl,
      consumerKey: v.consumerKey,
      consumerName: 'Testbridge',
      publicKey: v.publicKey,
    });
    const before = proxy.seen.length;
    const start = await h.admin.json<{ authorizationUrl: string }>(
      'POST',
      `/api/jira/instances/${id}/authorize`,
      {},
    );
    expect(start.status, JSON.stringify(start.body)).toBe(200);
    expect(proxy.seen.length).toBeGreaterThan(before);
    await followCallback(h.admin, (await approveOAuth1(sim, start.body.authorizationUrl)).location!);

    const view = await h.admin.json<InstanceJson & { diagnostics: ReportJson }>(
      'GET',
      `/api/jira/instances/${id}`,
    );
    expect(view.body.diagnostics.ok, JSON.stringify(view.body.diagnostics.checks)).toBe(true);
    expect(check(view.body.diagnostics, 'authentication').status).toBe('pass');

    const client = await jiraClientFor(h, id);
    const seenBefore = proxy.seen.length;
    expect((await client.myself()).name).toBe('admin');
    await client.close();
    expect(proxy.seen.length).toBeGreaterThan(seenBefore);
    const expected = `Basic ${Buffer.from('proxy-user:proxy-secret-77').toString('base64')}`;
    expect(proxy.seen.every((s) => s.auth === expected)).toBe(true);
    expect(proxy.seen.some((s) => s.target.includes(new URL(sim.url).port))).toBe(true);
  });

  it('names the proxy when Jira cannot be reached through it', async () => {
    const created = await h.admin.json<{ instance: InstanceJson; diagnostics: ReportJson }>(
      'POST',
      '/api/jira/instances',
      {
        name: uniqueName('Bad proxy'),
        jiraUrl: sim.url,
        proxyUrl: 'http://127.0.0.1:1',
        auth: { mode: 'basic', username: 'admin', password: 'admin' },
      },
    );
    const reach = check(created.body.diagnostics, 'reachability');
    expect(reach.status).toBe('fail');
    expect(reach.message).toMatch(/through the proxy 127.0.0.1:1/);
  });

  it('kept the proxy password out of the database and the logs', async () => {
    expect(await storedText(h)).not.toContain('proxy-secret-77');
    expect(h.logs.join('\n')).not.toContain('proxy-secret-77');
  });
});
