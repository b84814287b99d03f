import { generateKeyPairSync } from 'node:crypto';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors.js';
import { createLogger } from '../../log.js';
import { errorResponse } from '../app.js';
import { type CheckKeysResponse, type GenerateKeysResponse, keysRoutes } from './keys.js';

const logger = createLogger('silent');

/** The route as the server mounts it, behind a stand-in for the session's admin check. */
function appWith(role: 'admin' | 'user' | 'anonymous' = 'admin') {
  const app = new Hono();
  app.onError((err, c) => {
    const { status, body } = errorResponse(err, logger);
    return c.json(body, status as 400);
  });
  const requireAdmin = async (_c: unknown, next: () => Promise<void>) => {
    if (role === 'anonymous') throw new AppError('unauthenticated', 'Sign in first.', { status: 401 });
    if (role !== 'admin') throw new AppError('forbidden', 'Administrators only.', { status: 403 });
    await next();
  };
  app.route('/api/keys', keysRoutes({ requireAdmin }));
  return app;
}

const post = (app: Hono, path: string, body: unknown) =>
  app.request(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

type ErrorJson = { error: { code: string; message: string; hint?: string } };

function pair(bits = 2048) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

describe('POST /api/keys/generate', () => {
  it('returns the seed three files, the paste-ready body and a fingerprint, never cached', async () => {
    const res = await post(appWith(), '/api/keys/generate', { bits: 2048 });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as GenerateKeysResponse;
    expect(body.bits).toBe(2048);
    expect(body.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(body.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(body.certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(body.publicKeyBody).not.toMatch(/BEGIN|END|\s/);
    expect(body.publicKeyPem.replace(/-----[^-]+-----|\s/g, '')).toBe(body.publicKeyBody);
    expect(body.fingerprint.sha256).toMatch(/^SHA256:/);
    expect(body.warnings).toEqual([]);
  });

  it('defaults to 2048 bits and warns about 1024', async () => {
    const app = appWith();
    expect(((await (await post(app, '/api/keys/generate', {})).json()) as GenerateKeysResponse).bits).toBe(
      2048,
    );
    const weak = (await (
      await post(app, '/api/keys/generate', { bits: 1024 })
    ).json()) as GenerateKeysResponse;
    expect(weak.bits).toBe(1024);
    expect(weak.warnings.join(' ')).toMatch(/weak/i);
  });

  it('refuses an unsupported size and a malformed body with the error shape', async () => {
    const app = appWith();
    const odd = await post(app, '/api/keys/generate', { bits: 1000 });
    expect(odd.status).toBe(400);
    expect(((await odd.json()) as ErrorJson).error.code).toBe('key_bits_invalid');
    const text = await post(app, '/api/keys/generate', { bits: '2048' });
    expect(text.status).toBe(400);
    expect(((await text.json()) as ErrorJson).error.code).toBe('invalid_request');
    const broken = await post(app, '/api/keys/generate', '{"bits":');
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as ErrorJson).error.code).toBe('invalid_json');
  });

  it('is for administrators only', async () => {
    expect((await post(appWith('user'), '/api/keys/generate', {})).status).toBe(403);
    expect((await post(appWith('anonymous'), '/api/keys/generate', {})).status).toBe(401);
    expect((await post(appWith('anonymous'), '/api/keys/check', { publicKey: 'x' })).status).toBe(401);
  });
});

describe('POST /api/keys/check', () => {
  it('reports both halves of a pair with one fingerprint and match: true', async () => {
    const { privatePem, publicPem } = pair();
    const res = await post(appWith(), '/api/keys/check', { privateKey: privatePem, publicKey: publicPem });
    expect(res.status).toBe(200);
    const body = (await res.json()) as CheckKeysResponse;
    expect(body.privateKey?.bits).toBe(2048);
    expect(body.publicKey?.fingerprint.sha256).toBe(body.privateKey?.fingerprint.sha256);
    expect(body.match).toBe(true);
    expect(JSON.stringify(body)).not.toContain('PRIVATE KEY');
  });

  it('says when two keys are not a pair', async () => {
    const a = pair();
    const b = pair();
    const body = (await (
      await post(appWith(), '/api/keys/check', { privateKey: a.privatePem, publicKey: b.publicPem })
    ).json()) as CheckKeysResponse;
    expect(body.match).toBe(false);
  });

  it('accepts the body Jira shows, without BEGIN/END lines', async () => {
    const { publicPem } = pair();
    const bodyOnly = publicPem.replace(/-----[^-]+-----/g, '').trim();
    const body = (await (
      await post(appWith(), '/api/keys/check', { publicKey: bodyOnly })
    ).json()) as CheckKeysResponse;
    expect(body.publicKey?.bits).toBe(2048);
    expect(body.match).toBeUndefined();
  });

  it("answers a wrong paste with the key module's own code and hint, without echoing the key", async () => {
    const { privatePem } = pair();
    const res = await post(appWith(), '/api/keys/check', { publicKey: privatePem });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorJson;
    expect(body.error.code).toBe('key_private_not_public');
    expect(body.error.hint).toBeTruthy();
    const keyBody = privatePem.split('\n')[1] ?? '';
    expect(JSON.stringify(body)).not.toContain(keyBody.slice(0, 20));
  });

  it('asks for a key when none is given, and refuses oversized bodies', async () => {
    const app = appWith();
    const empty = await post(app, '/api/keys/check', { privateKey: '  ' });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as ErrorJson).error.code).toBe('key_empty');
    const huge = await post(app, '/api/keys/check', { publicKey: 'A'.repeat(100_000) });
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as ErrorJson).error.code).toBe('request_too_large');
  });
});
