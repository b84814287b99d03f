import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Config } from '../config/config.js';
import { AppError } from '../errors.js';
import type { AppDeps, AppEnv } from '../server/types.js';
import { csrfTokenMatches, findSession } from './sessions.js';
import type { User } from './users.js';

/**
 * Authentication for every route: `sessionMiddleware` (mounted once by the app) resolves
 * the session cookie into `c.get('user')` and enforces CSRF rules; routes then declare
 * what they need with `requireUser` or `requireAdmin`.
 */

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
export const CSRF_HEADER = 'x-csrf-token';

export function isSecureDeployment(config: Pick<Config, 'publicUrl'>): boolean {
  return config.publicUrl.startsWith('https:');
}

/** `__Host-` makes browsers refuse the cookie unless it is Secure, host-only and Path=/. */
export function sessionCookieName(config: Pick<Config, 'publicUrl'>): string {
  return isSecureDeployment(config) ? '__Host-testbridge_session' : 'testbridge_session';
}

/**
 * The client's address for rate limiting. Behind a reverse proxy every request comes from
 * the proxy, so with TESTBRIDGE_TRUST_PROXY the first X-Forwarded-For entry is used instead;
 * without it that header is ignored, since any client can send it.
 */
export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
    if (forwarded) return forwarded;
  }
  const incoming = (c.env as { incoming?: Pick<IncomingMessage, 'socket'> } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? 'unknown';
}

function originAllowed(c: Context, config: Pick<Config, 'publicUrl'>): boolean {
  const origin = c.req.header('origin');
  if (origin === undefined) return true;
  const allowed = new Set([new URL(config.publicUrl).origin, new URL(c.req.url).origin]);
  return allowed.has(origin);
}

export function checkOrigin(c: Context, config: Pick<Config, 'publicUrl'>): void {
  if (!originAllowed(c, config)) {
    throw new AppError('origin_mismatch', 'This request came from a page on another site.', {
      status: 403,
      hint: `Use Testbridge at ${config.publicUrl}; if that is not its address, set TESTBRIDGE_PUBLIC_URL.`,
    });
  }
}

/** Requests that may arrive with a stale or absent session and must still work. */
function exemptFromCsrf(c: Context): boolean {
  return c.req.method === 'POST' && c.req.path === '/api/session';
}

export function sessionMiddleware(deps: Pick<AppDeps, 'config' | 'store'>): MiddlewareHandler<AppEnv> {
  const cookieName = sessionCookieName(deps.config);
  return async (c, next) => {
    const token = getCookie(c, cookieName);
    const session = token ? await findSession(deps.store.db, token) : undefined;
    if (session && token) {
      c.set('session', session);
      c.set('user', session.user);
      // A cookie is sent by the browser whoever made the page; only our own pages can read
      // the CSRF token (GET /api/session) and echo it back in a header.
      if (UNSAFE.has(c.req.method) && !exemptFromCsrf(c)) {
        checkOrigin(c, deps.config);
        if (!csrfTokenMatches(token, c.req.header(CSRF_HEADER))) {
          throw new AppError('csrf_failed', 'This request did not carry the session’s CSRF token.', {
            status: 403,
            hint: 'Send the csrfToken from GET /api/session in the X-CSRF-Token header; in the browser, reload the page.',
          });
        }
      }
    }
    await next();
  };
}

export function currentUser(c: Context<AppEnv>): User {
  const user = c.get('user');
  if (!user) {
    throw new AppError('unauthenticated', 'You are not signed in, or your session has ended.', {
      status: 401,
      hint: 'Sign in (POST /api/session with username and password) and try again.',
    });
  }
  return user;
}

export const requireUser: MiddlewareHandler<AppEnv> = async (c, next) => {
  currentUser(c);
  await next();
};

export const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const user = currentUser(c);
  if (user.role !== 'admin') {
    throw new AppError('forbidden', 'Only admins may do this.', {
      status: 403,
      hint: 'Ask an admin to do it, or to make your account an admin.',
    });
  }
  await next();
};
