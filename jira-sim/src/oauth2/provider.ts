import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { LOGIN_FAILED, checkPassword, openSession, signInForm } from '../auth/login.js';
import { CLOUD_SCOPES, DC_SCOPES } from '../auth/scopes.js';
import type { SimEnv, SimUser } from '../context.js';
import type { Core } from '../core.js';
import { escapeHtml, page, readForm, readJsonObject } from '../http.js';
import { ACCESS_TOKEN_LIFETIME_SECONDS, type OAuth2Client, type OAuth2Kind } from './store.js';

type Paths = { authorize: string; token: string };

export const CLOUD_PATHS: Paths = { authorize: '/authorize', token: '/oauth/token' };
export const DC_PATHS: Paths = {
  authorize: '/rest/oauth2/latest/authorize',
  token: '/rest/oauth2/latest/token',
};

type AuthorizeParams = {
  client_id: string;
  redirect_uri: string;
  response_type: string;
  scope: string;
  state: string;
  code_challenge: string;
  code_challenge_method: string;
  audience: string;
  prompt: string;
};

const PARAM_NAMES: (keyof AuthorizeParams)[] = [
  'client_id',
  'redirect_uri',
  'response_type',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
  'audience',
  'prompt',
];

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/**
 * The OAuth 2.0 authorization-code providers: Cloud 3LO (`/authorize`, `/oauth/token`,
 * accessible-resources; refresh tokens only with `offline_access`) and Data Center
 * (`/rest/oauth2/latest/...`, PKCE S256 required). Refresh tokens rotate: each works once.
 */
export function registerOAuth2Provider(app: Hono<SimEnv>, core: Core, kind: OAuth2Kind): void {
  const { ctx } = core;
  const paths = kind === 'cloud' ? CLOUD_PATHS : DC_PATHS;
  const knownScopes = kind === 'cloud' ? CLOUD_SCOPES : DC_SCOPES;
  const action = `${ctx.contextPath}${paths.authorize}`;

  const errorPage = (c: Context<SimEnv>, message: string) =>
    c.html(
      page('Authorization failed', `<p class="error" id="oauth2-error">${escapeHtml(message)}</p>`),
      400,
    );

  const redirectError = (c: Context<SimEnv>, params: AuthorizeParams, error: string, description: string) => {
    const url = new URL(params.redirect_uri);
    url.searchParams.set('error', error);
    url.searchParams.set('error_description', description);
    if (params.state) url.searchParams.set('state', params.state);
    return c.redirect(url.toString(), 302);
  };

  /** Checks what can be checked before anyone signs in; a Response means stop there. */
  const validate = (
    c: Context<SimEnv>,
    params: AuthorizeParams,
  ): { client: OAuth2Client; scopes: string[] } | Response => {
    const client = core.oauth2.client(params.client_id);
    if (!client || client.kind !== kind) {
      return errorPage(
        c,
        'The client_id is unknown. Register the app first (POST /rest/sim/1.0/oauth2/clients).',
      );
    }
    // A wrong redirect_uri is shown, never followed: redirecting there would leak the code.
    if (!client.redirectUris.includes(params.redirect_uri)) {
      return errorPage(c, 'The redirect_uri does not match any callback URL registered for this app.');
    }
    if (params.response_type !== 'code') {
      return redirectError(c, params, 'unsupported_response_type', 'Only response_type=code is supported.');
    }
    const scopes = params.scope.split(/[\s+]+/).filter((scope) => scope !== '');
    if (scopes.length === 0)
      return redirectError(c, params, 'invalid_scope', 'The scope parameter is required.');
    const unknown = scopes.filter((scope) => !knownScopes.includes(scope));
    if (unknown.length > 0)
      return redirectError(c, params, 'invalid_scope', `Unknown scope: ${unknown.join(' ')}.`);
    if (kind === 'cloud' && params.audience !== 'api.atlassian.com') {
      return redirectError(c, params, 'invalid_request', 'The audience parameter must be api.atlassian.com.');
    }
    if (kind === 'dc') {
      if (params.code_challenge_method !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(params.code_challenge)) {
        return redirectError(
          c,
          params,
          'invalid_request',
          'PKCE is required: send code_challenge (S256 of the code_verifier) and code_challenge_method=S256.',
        );
      }
    }
    return { client, scopes };
  };

  const hiddenFields = (params: AuthorizeParams) => {
    const fields: Record<string, string> = {};
    for (const name of PARAM_NAMES) if (params[name]) fields[name] = params[name];
    return fields;
  };

  const consentPage = (
    c: Context<SimEnv>,
    params: AuthorizeParams,
    client: OAuth2Client,
    scopes: string[],
    user: SimUser,
  ) => {
    const hidden = Object.entries(hiddenFields(params))
      .map(([name, value]) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`)
      .join('\n');
    return c.html(
      page(
        `${client.name} is requesting access to your account`,
        `<p>Signed in as ${escapeHtml(user.displayName)} (${escapeHtml(user.name)}).</p>
<p>Requested scopes:</p><ul id="scopes">${scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul>
<form method="post" action="${escapeHtml(action)}" id="consent-form">
${hidden}
<button type="submit" name="approve" value="Accept" id="approve">Accept</button>
<button type="submit" name="deny" value="Cancel" id="deny">Cancel</button>
</form>`,
      ),
    );
  };

  const read = (source: Record<string, string | undefined>): AuthorizeParams => {
    const params = {} as AuthorizeParams;
    for (const name of PARAM_NAMES) params[name] = source[name] ?? '';
    return params;
  };

  app.get(paths.authorize, (c) => {
    const params = read(c.req.query());
    const valid = validate(c, params);
    if (valid instanceof Response) return valid;
    const user = c.get('user');
    if (!user) return c.html(page('Log in to continue', signInForm(action, hiddenFields(params))));
    return consentPage(c, params, valid.client, valid.scopes, user);
  });

  app.post(paths.authorize, async (c) => {
    const form = await readForm(c);
    const params = read(form);
    const valid = validate(c, params);
    if (valid instanceof Response) return valid;
    let user = c.get('user');
    if (form.os_username !== undefined) {
      user = checkPassword(core, form.os_username, form.os_password ?? '');
      if (!user)
        return c.html(
          page('Log in to continue', signInForm(action, hiddenFields(params), LOGIN_FAILED)),
          401,
        );
      openSession(c, core, user);
    }
    if (!user) return c.html(page('Log in to continue', signInForm(action, hiddenFields(params))), 401);
    if (form.deny !== undefined) return redirectError(c, params, 'access_denied', 'The user denied access.');
    if (form.approve === undefined) return consentPage(c, params, valid.client, valid.scopes, user);
    const code = core.oauth2.issueCode(
      {
        clientId: valid.client.clientId,
        redirectUri: params.redirect_uri,
        scopes: valid.scopes,
        userName: user.name,
        codeChallenge: kind === 'dc' ? params.code_challenge : undefined,
      },
      ctx.clock.now(),
    );
    const url = new URL(params.redirect_uri);
    url.searchParams.set('code', code.code);
    if (params.state) url.searchParams.set('state', params.state);
    return c.redirect(url.toString(), 302);
  });

  const tokenError = (c: Context<SimEnv>, status: 400 | 401 | 403, error: string, description: string) => {
    c.header('Cache-Control', 'no-store');
    return c.json({ error, error_description: description }, status);
  };

  app.post(paths.token, async (c) => {
    const type = c.req.header('content-type') ?? '';
    let body: Record<string, string> = {};
    if (type.includes('application/json')) {
      const json = await readJsonObject(c);
      for (const [name, value] of Object.entries(json ?? {}))
        if (typeof value === 'string') body[name] = value;
    } else {
      body = await readForm(c);
    }
    // Client credentials in the body (Atlassian's examples) or HTTP Basic (RFC 6749 2.3.1).
    let clientId = body.client_id ?? '';
    let clientSecret = body.client_secret ?? '';
    const header = c.req.header('authorization') ?? '';
    if (/^basic /i.test(header)) {
      const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) {
        try {
          clientId = decodeURIComponent(decoded.slice(0, colon).replaceAll('+', ' '));
          clientSecret = decodeURIComponent(decoded.slice(colon + 1).replaceAll('+', ' '));
        } catch {
          return tokenError(c, 401, 'invalid_client', 'The client credentials are malformed.');
        }
      }
    }
    const client = core.oauth2.client(clientId);
    if (!client || client.kind !== kind || !same(client.clientSecret, clientSecret)) {
      return tokenError(c, 401, 'invalid_client', 'Unknown client or wrong client secret.');
    }
    const now = ctx.clock.now();
    const invalidGrantStatus = kind === 'cloud' ? 403 : 400;
    const grant = body.grant_type;
    let issued: { userName: string; scopes: string[] };
    if (grant === 'authorization_code') {
      const code = core.oauth2.takeCode(body.code ?? '');
      if (!code || code.clientId !== client.clientId || code.expiresAt <= now) {
        return tokenError(
          c,
          invalidGrantStatus,
          'invalid_grant',
          'The authorization code is invalid, used or expired.',
        );
      }
      if (code.redirectUri !== body.redirect_uri) {
        return tokenError(
          c,
          invalidGrantStatus,
          'invalid_grant',
          'The redirect_uri does not match the authorization request.',
        );
      }
      if (code.codeChallenge !== undefined) {
        const verifier = body.code_verifier ?? '';
        if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || s256(verifier) !== code.codeChallenge) {
          return tokenError(
            c,
            invalidGrantStatus,
            'invalid_grant',
            'The code_verifier does not match the code_challenge.',
          );
        }
      }
      issued = { userName: code.userName, scopes: code.scopes };
    } else if (grant === 'refresh_token') {
      const refresh = core.oauth2.refreshToken(body.refresh_token ?? '');
      if (!refresh || refresh.clientId !== client.clientId || refresh.used || refresh.expiresAt <= now) {
        return tokenError(c, invalidGrantStatus, 'invalid_grant', 'Unknown or invalid refresh token.');
      }
      refresh.used = true;
      issued = { userName: refresh.userName, scopes: refresh.scopes };
    } else {
      return tokenError(
        c,
        400,
        'unsupported_grant_type',
        'Use grant_type=authorization_code or refresh_token.',
      );
    }
    const withRefresh = kind === 'dc' || issued.scopes.includes('offline_access');
    const { access, refresh } = core.oauth2.issueTokens(
      { clientId: client.clientId, userName: issued.userName, scopes: issued.scopes, kind, withRefresh },
      now,
    );
    c.header('Cache-Control', 'no-store');
    return c.json({
      access_token: access.token,
      expires_in: ACCESS_TOKEN_LIFETIME_SECONDS,
      token_type: 'Bearer',
      ...(refresh ? { refresh_token: refresh.token } : {}),
      scope: issued.scopes.join(' '),
    });
  });

  if (kind === 'cloud') {
    app.get('/oauth/token/accessible-resources', (c) => {
      const header = c.req.header('authorization') ?? '';
      const token = /^bearer /i.test(header) ? core.oauth2.accessToken(header.slice(7).trim()) : undefined;
      if (token?.kind !== 'cloud' || token.expiresAt <= ctx.clock.now()) {
        return c.json({ code: 401, message: 'Unauthorized' }, 401);
      }
      return c.json([
        {
          id: core.cloudId,
          url: ctx.baseUrl,
          name: new URL(ctx.baseUrl).hostname.split('.')[0],
          scopes: token.scopes.filter((scope) => scope !== 'offline_access'),
          avatarUrl: 'https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/site.png',
        },
      ]);
    });
  }
}
