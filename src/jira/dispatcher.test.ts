/**
 * Outbound proxy and TLS options on real sockets: a CONNECT proxy in front of jira-sim, and
 * an HTTPS server with a private (self-signed) certificate.
 */
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJiraSim, type JiraSim } from '../../jira-sim/src/server.js';
import { selfSignedCertificate } from '../keys/certificate.js';
import { patAuth } from './auth.js';
import { JiraClient } from './client.js';
import { createDispatcher, networkFetch } from './dispatcher.js';
import { JiraApiError } from './errors.js';

const SERVER_INFO = {
  baseUrl: 'https://localhost',
  versionNumbers: [9, 12, 0],
  deploymentType: 'DataCenter',
};

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('TLS options', () => {
  let server: https.Server;
  let url: string;
  let certPem: string;

  beforeAll(async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    certPem = selfSignedCertificate({
      privateKey,
      commonName: 'localhost',
      notBefore: new Date(Date.now() - 60_000),
      days: 1,
    }).pem;
    server = https.createServer(
      { key: privateKey.export({ type: 'pkcs8', format: 'pem' }), cert: certPem },
      (_req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(SERVER_INFO));
      },
    );
    url = `https://localhost:${await listen(server)}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await close(server);
  });

  const client = (network?: ConstructorParameters<typeof JiraClient>[0]['network']) =>
    new JiraClient({
      jiraUrl: url,
      auth: patAuth({ token: 't' }),
      retry: { maxRetries: 0 },
      ...(network ? { network } : {}),
    });

  it('verifies certificates by default and explains a self-signed one', async () => {
    const e = await client()
      .serverInfo()
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(JiraApiError);
    expect((e as JiraApiError).code).toBe('jira_unreachable');
    expect((e as JiraApiError).message).toMatch(
      /^Could not connect securely to localhost:\d+: its TLS certificate is self-signed\.$/,
    );
    expect((e as JiraApiError).hint).toMatch(/CA certificate/);
  });

  it('trusts a CA given as PEM (in addition to the system roots)', async () => {
    const c = client({ tls: { caPem: `Our CA:\n${certPem}\n` } });
    expect((await c.serverInfo()).versionNumbers).toEqual([9, 12, 0]);
    await c.close();
  });

  it('skips verification only when explicitly asked', async () => {
    const c = client({ tls: { rejectUnauthorized: false } });
    expect((await c.serverInfo()).deploymentType).toBe('DataCenter');
    await c.close();
  });

  it('gives other callers (OAuth token requests) a fetch with the same TLS settings', async () => {
    const { fetch: tlsFetch, dispatcher } = networkFetch({ tls: { caPem: certPem } });
    const res = await tlsFetch(`${url}/rest/oauth2/latest/token`);
    expect(((await res.json()) as { deploymentType: string }).deploymentType).toBe('DataCenter');
    await dispatcher?.close();
  });

  it('rejects a CA that is not a certificate', () => {
    expect(() => createDispatcher({ tls: { caPem: 'not a certificate' } })).toThrow(/not a PEM certificate/);
    expect(() =>
      createDispatcher({ tls: { caPem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' } }),
    ).toThrow(/could not be read/);
  });

  it('needs no dispatcher for the defaults', () => {
    expect(createDispatcher({})).toBeUndefined();
    expect(createDispatcher({ tls: { rejectUnauthorized: true } })).toBeUndefined();
  });
});

describe('outbound proxy', () => {
  let sim: JiraSim;
  let proxy: http.Server;
  let proxyPort: number;
  const connects: { target: string; authorization: string | undefined }[] = [];

  beforeAll(async () => {
    sim = await createJiraSim({ flavor: 'dc9', port: 0 });
    proxy = http.createServer((_req, res) => {
      res.statusCode = 405;
      res.end();
    });
    proxy.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      connects.push({ target: req.url ?? '', authorization: req.headers['proxy-authorization'] });
      if (
        req.headers['proxy-authorization'] !==
        `Basic ${Buffer.from('proxyuser:p@ss word').toString('base64')}`
      ) {
        socket.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n');
        return;
      }
      const [host, port] = (req.url ?? '').split(':');
      const upstream = net.connect(Number(port), host, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    proxyPort = await listen(proxy);
  });
  afterAll(async () => {
    proxy.closeAllConnections();
    await close(proxy);
    await sim?.close();
  });

  it('tunnels through the proxy with its credentials', async () => {
    const res = await fetch(`${sim.url}/rest/sim/1.0/pats`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'admin' }),
    });
    const { rawToken } = (await res.json()) as { rawToken: string };
    const c = new JiraClient({
      jiraUrl: sim.url,
      auth: patAuth({ token: rawToken }),
      network: { proxyUrl: `http://proxyuser:${encodeURIComponent('p@ss word')}@127.0.0.1:${proxyPort}` },
    });
    expect((await c.myself()).name).toBe('admin');
    expect(connects.at(-1)?.target).toBe(new URL(sim.url).host);
    await c.close();
  });

  it('names the proxy, never its password, when it cannot be reached', async () => {
    const closed = net.createServer();
    const port = await listen(closed);
    await close(closed);
    const c = new JiraClient({
      jiraUrl: sim.url,
      auth: patAuth({ token: 't' }),
      retry: { maxRetries: 0 },
      network: { proxyUrl: `http://proxyuser:sekrit-proxy-pw@127.0.0.1:${port}` },
    });
    const e = await c.serverInfo().catch((x: unknown) => x);
    expect((e as JiraApiError).code).toBe('jira_unreachable');
    expect((e as JiraApiError).message).toContain(`through the proxy 127.0.0.1:${port}`);
    expect(JSON.stringify((e as JiraApiError).toBody())).not.toContain('sekrit-proxy-pw');
    await c.close();
  });

  it('refuses a proxy URL it cannot use', () => {
    expect(() => createDispatcher({ proxyUrl: 'socks5://127.0.0.1:1080' })).toThrow(/not supported/);
    expect(() => createDispatcher({ proxyUrl: 'not a url' })).toThrow(/not a valid URL/);
  });
});
