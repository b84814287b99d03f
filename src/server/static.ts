import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, MiddlewareHandler } from 'hono';

/**
 * Serves the admin UI (web/dist) under the same origin as the API, so the session cookie
 * and CSRF token work without CORS. Every path that is not a file and not one of the
 * server's own prefixes answers with index.html, so the UI's history routes survive a
 * reload. The server's own prefixes are never shadowed, whatever web/dist contains.
 */

export const RESERVED_PREFIXES = ['/api', '/healthz', '/oauth', '/webhooks'] as const;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
};

/** Vite puts content-hashed files here: a changed file gets a new name, so they never go stale. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Everything else (index.html above all) is revalidated so a deploy shows up at once. */
const REVALIDATE = 'no-cache';

/**
 * The UI only loads its own files and talks to its own origin; nothing can frame it
 * (clickjacking the OAuth "Allow" flow would be the prize).
 */
const HTML_SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; " +
    "frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
};

export function isReservedPath(path: string): boolean {
  return RESERVED_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
}

/** web/dist from the source tree (tsx) and from a tsc build (dist/src/server). */
export function defaultWebDistDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, '../../web/dist'), resolve(here, '../../../web/dist')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? (candidates[0] as string);
}

type FileHit = { body: Buffer; etag: string; mtime: Date };

async function readRegularFile(path: string): Promise<FileHit | undefined> {
  try {
    const st = await stat(path);
    if (!st.isFile()) return undefined;
    const body = await readFile(path);
    const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
    return { body, etag, mtime: st.mtime };
  } catch {
    return undefined;
  }
}

/** Maps a URL path to a file inside `root`, or undefined for anything that could escape it. */
function filePathFor(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  if (decoded.split('/').some((segment) => segment === '..' || segment === '.')) return undefined;
  const full = resolve(root, `.${decoded}`);
  return full === root || full.startsWith(root + sep) ? full : undefined;
}

function respond(c: Context, hit: FileHit, contentType: string, cacheControl: string, extra = {}): Response {
  const headers: Record<string, string> = {
    'Content-Type': contentType,
    'Cache-Control': cacheControl,
    ETag: hit.etag,
    'Last-Modified': hit.mtime.toUTCString(),
    'X-Content-Type-Options': 'nosniff',
    ...extra,
  };
  const ifNoneMatch = c.req.header('if-none-match');
  if (ifNoneMatch?.split(/\s*,\s*/).includes(hit.etag)) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(new Uint8Array(hit.body), { status: 200, headers });
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Testbridge: admin UI not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>The admin UI is not built</h1>
<p>This Testbridge server is running and its API answers under <code>/api/</code>, but the web
interface's files (<code>web/dist</code>) are missing.</p>
<p>Run <code>npm run build:web</code> (or start with <code>npm start</code>, which builds it), then reload.</p>
</body></html>`;

export type WebUiOptions = {
  /** Folder holding the built UI; defaults to the repository's web/dist. */
  distDir?: string;
};

/**
 * Register after every API route (`app.use('*', webUi())` last), so only paths that
 * nothing else claimed reach the UI.
 */
export function webUi(options: WebUiOptions = {}): MiddlewareHandler {
  const root = resolve(options.distDir ?? defaultWebDistDir());

  return async (c, next) => {
    const method = c.req.method;
    const path = c.req.path;
    if ((method !== 'GET' && method !== 'HEAD') || isReservedPath(path)) return next();

    const filePath = path === '/' ? join(root, 'index.html') : filePathFor(root, path);
    if (filePath === undefined) return next();

    const ext = extname(filePath).toLowerCase();
    if (path !== '/' && ext !== '') {
      // A path that names a file is a file request: answer with the file or a 404, never
      // with index.html, which a browser would try to run as a script or a stylesheet.
      const hit = await readRegularFile(filePath);
      if (!hit) return next();
      const cache = path.startsWith('/assets/') ? IMMUTABLE : REVALIDATE;
      const type = CONTENT_TYPES[ext] ?? 'application/octet-stream';
      return respond(c, hit, type, cache, ext === '.html' ? HTML_SECURITY_HEADERS : {});
    }

    const index = await readRegularFile(join(root, 'index.html'));
    if (!index) {
      return c.html(NOT_BUILT_PAGE, 503, { 'Cache-Control': 'no-store', 'Retry-After': '30' });
    }
    return respond(c, index, CONTENT_TYPES['.html'] as string, REVALIDATE, HTML_SECURITY_HEADERS);
  };
}
