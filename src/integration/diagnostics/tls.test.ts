import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectTls } from './tls.js';

/** A certificate for 127.0.0.1 valid for `days`, made by openssl as an administrator would. */
function certificate(days: number): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tb-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        '/CN=jira.test',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-days',
        String(days),
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('inspectTls', () => {
  let server: Server;
  let port: number;
  let cert: string;
  beforeAll(async () => {
    const pair = certificate(10);
    cert = pair.cert;
    server = createServer({ key: pair.key, cert: pair.cert }, (_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('reports a self-signed certificate as not verified, with its facts', async () => {
    const facts = await inspectTls({ host: '127.0.0.1', port });
    expect(facts.authorized).toBe(false);
    expect(facts.authorizationError).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(facts.subject).toBe('jira.test');
  });

  it('verifies with the custom CA and counts the days to expiry', async () => {
    const facts = await inspectTls({ host: '127.0.0.1', port, caPem: cert });
    expect(facts.authorized).toBe(true);
    expect(facts.daysToExpiry).toBeGreaterThanOrEqual(9);
    expect(facts.daysToExpiry).toBeLessThanOrEqual(10);
    const later = await inspectTls({
      host: '127.0.0.1',
      port,
      caPem: cert,
      now: Date.now() + 20 * 86_400_000,
    });
    expect(later.daysToExpiry).toBeLessThan(0);
  });
});
