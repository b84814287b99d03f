import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { SimEnv, SimUser } from '../context.js';
import type { Core } from '../core.js';
import { NOT_AUTHENTICATED, jiraErrorBody } from '../http.js';
import { OAuthProblem, oauthProblemResponse, readOAuthParams, verifyOAuthRequest } from '../oauth1/verify.js';
import { viaGateway } from './gateway.js';
import { cloudScopeFor, dcScopeAllows } from './scopes.js';
import { SESSION_COOKIE } from './sessions.js';

/** Endpoints that authenticate the request themselves (token endpoints, the simulator's admin API). */
const SELF_AUTHENTICATING = [
  /^\/plugins\/servlet\/oauth\/(request-token|access-token)$/,
  /^\/oauth\/token(\/accessible-resources)?$/,
  /^\/rest\/oauth2\/latest\/token$/,
  /^\/rest\/sim\//,
];

const CLOUD_PASSWORD_MESSAGE =
  'Basic authentication with passwords is deprecated.  For more information, see: https://developer.atlassian.com/cloud/confluence/deprecation-notice-basic-auth/';

function unauthorized(c: Context, message = NOT_AUTHENTICATED): Response {
  c.header('X-Seraph-LoginReason', 'AUTHENTICATED_FAILED');
  c.header('WWW-Authenticate', 'Basic realm="protected-area"');
  return c.json(jiraErrorBody([message]), 401);
}

/** Jira Server's answer once an account needs a CAPTCHA: 403 and headers naming the login page. */
function captchaRequired(c: Context, baseUrl: string): Response {
  c.header('X-Seraph-LoginReason', 'AUTHENTICATION_DENIED');
  c.header('X-Authentication-Denied-Reason', `CAPTCHA_CHALLENGE; login-url=${baseUrl}/login.jsp`);
  return c.json(
    jiraErrorBody([
      'CAPTCHA_CHALLENGE: too many failed logins. Sign in once through the login page in a browser, then retry.',
    ]),
    403,
  );
}

function gatewayUnauthorized(c: Context, message: string): Response {
  c.header('WWW-Authenticate', 'Bearer realm="api.atlassian.com"');
  return c.json({ code: 401, message }, 401);
}

export function relativePath(c: Context, contextPath: string): string {
  const path = c.req.path;
  return contextPath && path.startsWith(contextPath) ? path.slice(contextPath.length) || '/' : path;
}

/**
 * Works out who is calling, as Jira does, and stores it in the `user`/`authKind`/`scopes`
 * variables for the routes. Anonymous requests pass through (routes decide); credentials that
 * are present but wrong are refused here with Jira's answer for that kind of credential.
 */
export function authMiddleware(core: Core): MiddlewareHandler<SimEnv> {
  const { ctx } = core;
  return async (c, next) => {
    c.set('user', undefined);
    c.set('authKind', 'anonymous');
    c.set('scopes', []);
    const path = relativePath(c, ctx.contextPath);
    if (SELF_AUTHENTICATING.some((pattern) => pattern.test(path))) return next();

    const header = c.req.header('authorization') ?? '';
    const scheme = header.split(' ', 1)[0]!.toLowerCase();
    const gateway = viaGateway(c.req.raw);

    const accept = (
      user: SimUser | undefined,
      kind: SimEnv['Variables']['authKind'],
      scopes: string[] = [],
    ) => {
      c.set('user', user);
      c.set('authKind', kind);
      c.set('scopes', scopes);
      // Jira tells clients who it thinks they are; diagnostics read these headers.
      if (ctx.flavor === 'cloud') {
        if (user) c.header('X-AACCOUNTID', user.accountId);
      } else {
        c.header('X-AUSERNAME', user?.name ?? 'anonymous');
      }
    };

    if (gateway) {
      if (scheme !== 'bearer') return gatewayUnauthorized(c, 'Unauthorized');
      const token = core.oauth2.accessToken(header.slice(7).trim());
      if (token?.kind !== 'cloud' || token.expiresAt <= ctx.clock.now()) {
        return gatewayUnauthorized(c, 'Unauthorized');
      }
      const user = ctx.findUser(token.userName);
      if (!user?.active) return gatewayUnauthorized(c, 'Unauthorized');
      const anyOf = cloudScopeFor(c.req.method, path);
      if (!anyOf.some((scope) => token.scopes.includes(scope))) {
        return gatewayUnauthorized(c, 'Unauthorized; scope does not match');
      }
      accept(user, 'oauth2', token.scopes);
      return next();
    }

    if (scheme === 'basic') {
      let decoded = '';
      try {
        decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
      } catch {
        return unauthorized(c);
      }
      const colon = decoded.indexOf(':');
      if (colon < 0) return unauthorized(c);
      const login = decoded.slice(0, colon);
      const secret = decoded.slice(colon + 1);
      const user = ctx.findUser(login);
      if (!user?.active) return unauthorized(c);
      if (ctx.flavor === 'cloud') {
        // Cloud signs in by email with an API token; the account password no longer works.
        if (login.toLowerCase() !== user.emailAddress.toLowerCase()) return unauthorized(c);
        if (secret === user.password && secret !== user.apiToken)
          return unauthorized(c, CLOUD_PASSWORD_MESSAGE);
        if (secret !== user.apiToken) return unauthorized(c);
      } else {
        const threshold = core.faults.captchaThreshold();
        if (threshold !== undefined && core.failedLogins.count(user.name) >= threshold) {
          return captchaRequired(c, ctx.baseUrl);
        }
        // Server/DC Basic takes the username, not the email address.
        if (login.toLowerCase() !== user.name.toLowerCase() || secret !== user.password) {
          core.failedLogins.fail(user.name);
          return unauthorized(c);
        }
        core.failedLogins.clear(user.name);
      }
      accept(user, 'basic');
      return next();
    }

    if (scheme === 'bearer') {
      const value = header.slice(7).trim();
      if (ctx.flavor === 'cloud') return unauthorized(c);
      const pat = core.pats.byRawToken(value);
      if (pat) {
        if (pat.expiringAt !== undefined && pat.expiringAt <= ctx.clock.now()) return unauthorized(c);
        const user = ctx.findUser(pat.userName);
        if (!user?.active) return unauthorized(c);
        pat.lastAccessedAt = ctx.clock.now();
        accept(user, 'pat');
        return next();
      }
      const token = core.oauth2.accessToken(value);
      if (token && token.kind === 'dc' && token.expiresAt > ctx.clock.now()) {
        const user = ctx.findUser(token.userName);
        if (!user?.active) return unauthorized(c);
        if (!dcScopeAllows(token.scopes, c.req.method, path)) {
          return c.json(
            jiraErrorBody(['The OAuth 2.0 token does not have the scope this operation needs.']),
            403,
          );
        }
        accept(user, 'oauth2', token.scopes);
        return next();
      }
      return unauthorized(c);
    }

    try {
      const params = await readOAuthParams(c);
      if (params) {
        const verified = await verifyOAuthRequest(
          c,
          {
            baseUrl: ctx.baseUrl,
            contextPath: ctx.contextPath,
            clock: ctx.clock,
            links: core.links,
            tokens: core.oauth1,
          },
          'access',
          params,
        );
        const user = ctx.findUser(verified.accessToken!.userName);
        if (!user?.active) throw new OAuthProblem('token_rejected');
        accept(user, 'oauth1');
        return next();
      }
    } catch (error) {
      if (error instanceof OAuthProblem) return oauthProblemResponse(ctx.baseUrl, error);
      throw error;
    }

    const session = getCookie(c, SESSION_COOKIE);
    const userName = session ? core.sessions.userName(session) : undefined;
    const user = userName === undefined ? undefined : ctx.findUser(userName);
    if (user?.active) accept(user, 'session');
    else accept(undefined, 'anonymous');
    return next();
  };
}
