import { randomInt } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { checkPassword, LOGIN_FAILED, openSession, signInForm } from '../auth/login.js';
import type { SimEnv, SimUser } from '../context.js';
import type { Core } from '../core.js';
import { escapeHtml, page, readForm } from '../http.js';
import { percentEncode } from './signature.js';
import { ACCESS_TOKEN_LIFETIME_SECONDS, REQUEST_TOKEN_LIFETIME_MS, type RequestToken } from './tokens.js';
import { OAuthProblem, oauthProblemResponse, verifyOAuthRequest } from './verify.js';

const SERVLET = '/plugins/servlet/oauth';

function formEncoded(pairs: Record<string, string>): string {
  return Object.entries(pairs)
    .map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`)
    .join('&');
}

function verifierCode(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let code = '';
  for (let i = 0; i < 6; i++) code += alphabet[randomInt(alphabet.length)];
  return code;
}

function isValidCallback(callback: string): boolean {
  if (callback === 'oob') return true;
  try {
    const url = new URL(callback);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function withParams(callback: string, params: Record<string, string>): string {
  const url = new URL(callback);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}

/**
 * Jira's OAuth 1.0a service provider: request token, the authorize page (sign in, Allow or
 * Deny), and the access token, with Jira's five-year token lifetime.
 */
export function registerOAuth1Provider(app: Hono<SimEnv>, core: Core): void {
  const { ctx } = core;
  const deps = () => ({
    baseUrl: ctx.baseUrl,
    contextPath: ctx.contextPath,
    clock: ctx.clock,
    links: core.links,
    tokens: core.oauth1,
  });
  const authorizeAction = `${ctx.contextPath}${SERVLET}/authorize`;
  const problem = (error: unknown) => {
    if (error instanceof OAuthProblem) return oauthProblemResponse(ctx.baseUrl, error);
    throw error;
  };

  const requestToken = async (c: Context<SimEnv>) => {
    try {
      const verified = await verifyOAuthRequest(c, deps(), 'none');
      const callback = verified.oauth.get('oauth_callback');
      if (!callback)
        throw new OAuthProblem('parameter_absent', { oauth_parameters_absent: 'oauth_callback' });
      if (!isValidCallback(callback)) {
        throw new OAuthProblem('parameter_rejected', { oauth_parameters_rejected: 'oauth_callback' });
      }
      const token = core.oauth1.issueRequestToken(verified.link.consumerKey, callback, ctx.clock.now());
      return c.text(
        formEncoded({
          oauth_token: token.token,
          oauth_token_secret: token.secret,
          oauth_callback_confirmed: 'true',
        }),
      );
    } catch (error) {
      return problem(error);
    }
  };
  app.post(`${SERVLET}/request-token`, requestToken);
  app.get(`${SERVLET}/request-token`, requestToken);

  const accessToken = async (c: Context<SimEnv>) => {
    try {
      const verified = await verifyOAuthRequest(c, deps(), 'request');
      const token = verified.requestToken!;
      if (token.createdAt + REQUEST_TOKEN_LIFETIME_MS < ctx.clock.now()) {
        core.oauth1.consumeRequestToken(token.token);
        throw new OAuthProblem('token_expired');
      }
      if (token.state === 'denied') {
        core.oauth1.consumeRequestToken(token.token);
        throw new OAuthProblem('permission_denied');
      }
      if (token.state !== 'authorized') throw new OAuthProblem('permission_unknown');
      const verifier = verified.oauth.get('oauth_verifier');
      if (!verifier)
        throw new OAuthProblem('parameter_absent', { oauth_parameters_absent: 'oauth_verifier' });
      if (verifier !== token.verifier) throw new OAuthProblem('token_rejected');
      core.oauth1.consumeRequestToken(token.token);
      const access = core.oauth1.issueAccessToken(token.consumerKey, token.userName!, ctx.clock.now());
      return c.text(
        formEncoded({
          oauth_token: access.token,
          oauth_token_secret: access.secret,
          oauth_expires_in: String(ACCESS_TOKEN_LIFETIME_SECONDS),
          oauth_session_handle: access.sessionHandle,
          oauth_authorization_expires_in: String(ACCESS_TOKEN_LIFETIME_SECONDS),
        }),
      );
    } catch (error) {
      return problem(error);
    }
  };
  app.post(`${SERVLET}/access-token`, accessToken);
  app.get(`${SERVLET}/access-token`, accessToken);

  /** The token if it can still be authorized, or the error page to show instead. */
  const authorizable = (c: Context<SimEnv>, value: string | undefined): RequestToken | Response => {
    const token = value ? core.oauth1.requestToken(value) : undefined;
    if (!token) {
      return c.html(
        page(
          'OAuth Access',
          '<p class="error" id="oauth-error">The request token is invalid or unknown. Start the authorization again from the application.</p>',
        ),
        400,
      );
    }
    if (token.createdAt + REQUEST_TOKEN_LIFETIME_MS < ctx.clock.now()) {
      return c.html(
        page(
          'OAuth Access',
          '<p class="error" id="oauth-error">The request token has expired. Start the authorization again.</p>',
        ),
        400,
      );
    }
    if (token.state !== 'unauthorized') {
      return c.html(
        page(
          'OAuth Access',
          '<p class="error" id="oauth-error">This request token has already been approved or denied. Start the authorization again.</p>',
        ),
        400,
      );
    }
    return token;
  };

  const consentPage = (c: Context<SimEnv>, token: RequestToken, user: SimUser) => {
    const link = core.links.byConsumerKey(token.consumerKey);
    const consumer = escapeHtml(link?.consumerName ?? token.consumerKey);
    return c.html(
      page(
        'Welcome to Jira',
        `<p>Hi ${escapeHtml(user.displayName)} (${escapeHtml(user.name)}).</p>
<p id="oauth-request"><strong>${consumer}</strong> would like to read and write data in Jira on your behalf.
The application will be able to see and change everything you can.</p>
<form method="post" action="${escapeHtml(authorizeAction)}" id="approve-form">
<input type="hidden" name="oauth_token" value="${escapeHtml(token.token)}">
<button type="submit" name="approve" value="Allow" id="approve">Allow</button>
<button type="submit" name="deny" value="Deny" id="deny">Deny</button>
</form>`,
      ),
    );
  };

  const signInPage = (c: Context<SimEnv>, token: RequestToken, error?: string) =>
    c.html(
      page(
        'Log in to authorize',
        `<p>Log in to Jira to give the application access to your account.</p>${signInForm(
          authorizeAction,
          { oauth_token: token.token },
          error,
        )}`,
      ),
      error ? 401 : 200,
    );

  // The user's own list of authorized applications, with Jira's "Revoke Access".
  const tokensPage = `${SERVLET}/users/access-tokens`;
  const listTokens = (c: Context<SimEnv>, user: SimUser, notice?: string) => {
    const rows = core.oauth1
      .accessTokens()
      .filter((token) => token.userName === user.name)
      .map((token) => {
        const consumer = core.links.byConsumerKey(token.consumerKey)?.consumerName ?? token.consumerKey;
        return `<tr data-consumer-key="${escapeHtml(token.consumerKey)}"><td>${escapeHtml(consumer)}</td>
<td>${escapeHtml(new Date(token.createdAt).toISOString())}</td><td>${escapeHtml(new Date(token.expiresAt).toISOString())}</td>
<td><form method="post" action="${escapeHtml(`${ctx.contextPath}${tokensPage}`)}"><input type="hidden" name="token" value="${escapeHtml(token.token)}">
<button type="submit" name="revoke" value="Revoke Access">Revoke Access</button></form></td></tr>`;
      })
      .join('\n');
    return c.html(
      page(
        'OAuth Access Tokens',
        `${notice ? `<p id="notice">${escapeHtml(notice)}</p>` : ''}<table id="access-tokens"><thead><tr><th>Application</th><th>Authorized</th><th>Expires</th><th></th></tr></thead><tbody>${rows}</tbody></table>`,
      ),
    );
  };
  const signInFirst = (c: Context<SimEnv>) =>
    c.html(
      page(
        'Log in',
        signInForm(`${ctx.contextPath}/login.jsp`, { os_destination: `${ctx.contextPath}${tokensPage}` }),
      ),
      401,
    );
  app.get(tokensPage, (c) => {
    const user = c.get('user');
    return user ? listTokens(c, user) : signInFirst(c);
  });
  app.post(tokensPage, async (c) => {
    const user = c.get('user');
    if (!user) return signInFirst(c);
    const form = await readForm(c);
    const token = form.token ? core.oauth1.accessToken(form.token) : undefined;
    // Only your own tokens: someone else's looks exactly like one that does not exist.
    if (!token || token.userName !== user.name)
      return listTokens(c, user, 'That access token no longer exists.');
    core.oauth1.revoke(token.token);
    const consumer = core.links.byConsumerKey(token.consumerKey)?.consumerName ?? token.consumerKey;
    return listTokens(c, user, `Access for '${consumer}' has been revoked.`);
  });

  app.get(`${SERVLET}/authorize`, (c) => {
    const token = authorizable(c, c.req.query('oauth_token'));
    if (token instanceof Response) return token;
    const user = c.get('user');
    return user ? consentPage(c, token, user) : signInPage(c, token);
  });

  app.post(`${SERVLET}/authorize`, async (c) => {
    const form = await readForm(c);
    const token = authorizable(c, form.oauth_token ?? c.req.query('oauth_token'));
    if (token instanceof Response) return token;
    let user = c.get('user');
    if (form.os_username !== undefined) {
      user = checkPassword(core, form.os_username, form.os_password ?? '');
      if (!user) return signInPage(c, token, LOGIN_FAILED);
      openSession(c, core, user);
    }
    if (!user) return signInPage(c, token);
    const approve = form.approve !== undefined;
    const deny = form.deny !== undefined;
    if (!approve && !deny) return consentPage(c, token, user);

    const consumer = core.links.byConsumerKey(token.consumerKey)?.consumerName ?? token.consumerKey;
    if (deny) {
      token.state = 'denied';
      token.userName = user.name;
      if (token.callback !== 'oob') {
        return c.redirect(
          withParams(token.callback, { oauth_token: token.token, oauth_verifier: 'denied' }),
          302,
        );
      }
      return c.html(
        page(
          'Access Denied',
          `<p id="oauth-denied">You have denied '${escapeHtml(consumer)}' access to your Jira account.</p>`,
        ),
      );
    }
    token.state = 'authorized';
    token.userName = user.name;
    token.verifier = verifierCode();
    if (token.callback !== 'oob') {
      return c.redirect(
        withParams(token.callback, { oauth_token: token.token, oauth_verifier: token.verifier }),
        302,
      );
    }
    return c.html(
      page(
        'Access Approved',
        `<p id="oauth-approved">You have successfully authorized '${escapeHtml(consumer)}'. Your verification code is '<span id="verification-code">${escapeHtml(token.verifier)}</span>'. You will need to enter this exact text when prompted. You should write this value down before closing the browser window.</p>`,
      ),
    );
  });
}
