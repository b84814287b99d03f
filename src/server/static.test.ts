import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isReservedPath, RESERVED_PREFIXES, webUi } from './static.js';

let dist: string;
const INDEX = '<!doctype html><title>Testbridge</title><div id="root"></div>';

function appWith(distDir: string) {
  const app = new Hono();
  app.get('/api/thing', (c) => c.json({ ok: true }));
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.use('*', webUi({ distDir }));
  app.notFound((c) => c.json({ error: { code: 'not_found', message: 'nope' } }, 404));
  return app;
}

beforeAll(() => {
  dist = mkdtempSync(join(tmpdir(), 'testbridge-web-'));
  mkdirSync(join(dist, 'assets'));
  writeFileSync(join(dist, 'index.html'), INDEX);
  writeFileSync(join(dist, 'assets', 'index-AbC123.js'), 'console.log(1)');
  writeFileSync(join(dist, 'assets', 'index-AbC123.css'), 'body{}');
  writeFileSync(join(dist, 'robots.txt'), 'User-agent: *');
  // Files that would shadow the server's own routes if the UI were consulted first.
  for (const p of ['api', 'oauth', 'webhooks']) {
    mkdirSync(join(dist, p));
    writeFileSync(join(dist, p, 'index.html'), 'shadow');
  }
  writeFileSync(join(dist, 'healthz'), 'shadow');
});

afterAll(() => rmSync(dist, { recursive: true, force: true }));

describe('webUi', () => {
  it('serves index.html at / with no-cache and a strict content security policy', async () => {
    const res = await appWith(dist).request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(await res.text()).toBe(INDEX);
  });

  it('serves hashed assets with their content type and a year of immutable caching', async () => {
    const app = appWith(dist);
    const js = await app.request('/assets/index-AbC123.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await js.text()).toBe('console.log(1)');
    const css = await app.request('/assets/index-AbC123.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const txt = await app.request('/robots.txt');
    expect(txt.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(txt.headers.get('cache-control')).toBe('no-cache');
  });

  it('falls back to index.html for UI routes so a reload keeps the page', async () => {
    const app = appWith(dist);
    for (const path of ['/admin/jira', '/admin/keys', '/projects/42/', '/apiary', '/oauthish']) {
      const res = await app.request(path);
      expect(res.status, path).toBe(200);
      expect(await res.text(), path).toBe(INDEX);
    }
  });

  it('answers a missing file with 404, not with index.html', async () => {
    const res = await appWith(dist).request('/assets/index-gone.js');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('never shadows the server prefixes, even when web/dist has files there', async () => {
    const app = appWith(dist);
    expect(await (await app.request('/api/thing')).json()).toEqual({ ok: true });
    expect(await (await app.request('/healthz')).json()).toEqual({ status: 'ok' });
    for (const path of ['/api', '/api/', '/api/index.html', '/api/nope', '/oauth/index.html', '/webhooks/']) {
      const res = await app.request(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toMatch(/^application\/json/);
    }
    expect(RESERVED_PREFIXES.every((p) => isReservedPath(p) && isReservedPath(`${p}/x`))).toBe(true);
  });

  it('only answers GET and HEAD', async () => {
    const app = appWith(dist);
    expect((await app.request('/admin/jira', { method: 'POST' })).status).toBe(404);
    const head = await app.request('/admin/jira', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('does not let a path escape web/dist', async () => {
    const secret = join(dist, '..', `outside-${Date.now()}.txt`);
    writeFileSync(secret, 'secret');
    try {
      const app = appWith(dist);
      const name = secret.split('/').pop();
      for (const path of [
        `/%2e%2e/${name}`,
        `/assets/%2e%2e/%2e%2e/${name}`,
        `/..%2f${name}`,
        `/%5c..%5c${name}`,
      ]) {
        const res = await app.request(path);
        expect(await res.text(), path).not.toBe('secret');
      }
    } finally {
      rmSync(secret, { force: true });
    }
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const app = appWith(dist);
    const first = await app.request('/');
    const etag = first.headers.get('etag');
    expect(etag).toBeTruthy();
    const again = await app.request('/', { headers: { 'If-None-Match': etag ?? '' } });
    expect(again.status).toBe(304);
  });

  it('explains a missing build with a 503 page instead of a bare 404', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'testbridge-web-empty-'));
    try {
      const res = await appWith(empty).request('/admin/jira');
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('npm run build:web');
      expect((await appWith(empty).request('/api/thing')).status).toBe(200);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
