/**
 * The authorization-code flow shared by Atlassian Cloud 3LO and Jira Data Center, on
 * oauth4webapi (spec-exact; we only add Atlassian's parameters and plain-words errors).
 */
import { timingSafeEqual } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { OAuth2Error } from './errors.js';

export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

export type TokenSet = {
  accessToken: string;
  /** Atlassian rotates it: every refresh returns a new one and the old one stops working. */
  refreshToken?: string;
  /** Milliseconds since the epoch; undefined when the server did not say. */
  expiresAt?: number;
  scope?: string;
};

export type OAuth2ClientCredentials = {
  clientId: string;
  clientSecret: string;
  /** The callback URL registered with the app (Testbridge's /oauth2/callback). */
  redirectUri: string;
};

export type OAuth2Provider = {
  /** Shown in messages: "Atlassian" or "Jira Data Center". */
  name: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  /** PKCE S256 (required by Jira Data Center). */
  pkce: boolean;
  /** Provider-specific authorization parameters (Cloud: audience, prompt). */
  authorizationParams: Record<string, string>;
  defaultScopes: readonly string[];
};

export type OAuth2TransportOptions = {
  fetch?: FetchLike;
  timeoutMs?: number;
  now?: () => number;
};

/** What to keep (server-side, per pending authorization) until the callback arrives. */
export type PendingAuthorization = {
  url: string;
  state: string;
  /** Present when PKCE is used; a secret: keep it server-side only. */
  codeVerifier?: string;
};

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

function parseEndpoint(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new OAuth2Error('oauth2_invalid_config', `The ${what} is not a valid URL.`, {
      hint: 'Use the full https:// address of the Jira (or Atlassian) endpoint.',
    });
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new OAuth2Error(
      'oauth2_insecure_url',
      `The ${what} ${url.origin} uses http://, which OAuth 2.0 forbids.`,
      {
        hint: 'Use the https:// address of Jira (plain http is only accepted for localhost test setups).',
      },
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OAuth2Error('oauth2_invalid_config', `The ${what} must be an http(s) URL.`, {
      hint: 'Use the full https:// address of the endpoint.',
    });
  }
  return url;
}

function requireCredentials(creds: OAuth2ClientCredentials): void {
  if (!creds.clientId?.trim()) {
    throw new OAuth2Error('oauth2_invalid_config', 'The OAuth 2.0 client id is missing.', {
      hint: 'Copy the client id from the app (Atlassian developer console, or Jira → Application links).',
    });
  }
  if (!creds.clientSecret?.trim()) {
    throw new OAuth2Error('oauth2_invalid_config', 'The OAuth 2.0 client secret is missing.', {
      hint: 'Copy the secret from the app (Atlassian developer console, or Jira → Application links).',
    });
  }
  parseEndpoint(creds.redirectUri, 'callback URL');
}

type Setup = {
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  clientAuth: oauth.ClientAuth;
  options: oauth.HttpRequestOptions<'POST', URLSearchParams>;
  tokenHost: string;
  now: () => number;
};

function setup(
  provider: OAuth2Provider,
  creds: OAuth2ClientCredentials,
  transport: OAuth2TransportOptions,
): Setup {
  requireCredentials(creds);
  const authorization = parseEndpoint(provider.authorizationEndpoint, 'authorization URL');
  const token = parseEndpoint(provider.tokenEndpoint, 'token URL');
  const as: oauth.AuthorizationServer = {
    issuer: authorization.origin,
    authorization_endpoint: authorization.toString(),
    token_endpoint: token.toString(),
  };
  const client: oauth.Client = { client_id: creds.clientId };
  const fetchImpl = transport.fetch;
  const timeoutMs = transport.timeoutMs ?? 30_000;
  const options: oauth.HttpRequestOptions<'POST', URLSearchParams> = {
    signal: () => AbortSignal.timeout(timeoutMs),
    // parseEndpoint already refused http:// anywhere but loopback (tests, demo mode).
    ...(token.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {}),
    ...(fetchImpl ? { [oauth.customFetch]: (url: string, init: RequestInit) => fetchImpl(url, init) } : {}),
  };
  return {
    as,
    client,
    clientAuth: oauth.ClientSecretPost(creds.clientSecret),
    options,
    tokenHost: token.host,
    now: transport.now ?? Date.now,
  };
}

/** Builds the URL to send the administrator to, with a fresh state (and PKCE verifier). */
export async function createAuthorization(
  provider: OAuth2Provider,
  creds: OAuth2ClientCredentials,
  options: { scopes?: readonly string[] } = {},
): Promise<PendingAuthorization> {
  requireCredentials(creds);
  const url = parseEndpoint(provider.authorizationEndpoint, 'authorization URL');
  const state = oauth.generateRandomState();
  const scopes = options.scopes?.length ? options.scopes : provider.defaultScopes;
  const params: Record<string, string> = {
    ...provider.authorizationParams,
    client_id: creds.clientId,
    scope: scopes.join(' '),
    redirect_uri: creds.redirectUri,
    state,
    response_type: 'code',
  };
  let codeVerifier: string | undefined;
  if (provider.pkce) {
    codeVerifier = oauth.generateRandomCodeVerifier();
    params.code_challenge = await oauth.calculatePKCECodeChallenge(codeVerifier);
    params.code_challenge_method = 'S256';
  }
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return { url: url.toString(), state, ...(codeVerifier ? { codeVerifier } : {}) };
}

function sameState(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function toTokenSet(response: oauth.TokenEndpointResponse, now: number): TokenSet {
  return {
    accessToken: response.access_token,
    ...(response.refresh_token ? { refreshToken: response.refresh_token } : {}),
    ...(typeof response.expires_in === 'number' ? { expiresAt: now + response.expires_in * 1000 } : {}),
    ...(typeof response.scope === 'string' ? { scope: response.scope } : {}),
  };
}

function networkCode(e: unknown): string | undefined {
  let current: unknown = e;
  for (let i = 0; i < 5 && current && typeof current === 'object'; i++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && !code.startsWith('OAUTH_')) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Maps oauth4webapi and fetch failures to errors an administrator can act on. */
export function translateOAuth2Failure(
  e: unknown,
  provider: OAuth2Provider,
  host: string,
  phase: 'code' | 'refresh',
): OAuth2Error {
  if (e instanceof OAuth2Error) return e;
  if (e instanceof oauth.ResponseBodyError) {
    const description = e.error_description ? ` (${e.error_description.slice(0, 300)})` : '';
    if (e.error === 'invalid_grant') {
      return new OAuth2Error(
        'oauth2_reauthorization_required',
        phase === 'refresh'
          ? `${provider.name} refused the refresh token: it expired, was already used or was revoked${description}.`
          : `${provider.name} refused the authorization code: it expired, was already used or does not match${description}.`,
        {
          hint: 'Authorize the connection again (Connections → Re-authorize).',
          oauthError: e.error,
          status: 400,
          cause: e,
        },
      );
    }
    if (e.error === 'invalid_client' || e.error === 'unauthorized_client') {
      return new OAuth2Error(
        'oauth2_invalid_client',
        `${provider.name} did not accept the OAuth 2.0 client id or secret${description}.`,
        {
          hint: 'Check the client id and secret against the app configuration, and that the app is still enabled.',
          oauthError: e.error,
          cause: e,
        },
      );
    }
    return new OAuth2Error(
      'oauth2_token_request_failed',
      `${provider.name}'s token endpoint answered "${e.error}"${description}.`,
      {
        hint: 'Check the app configuration (callback URL, scopes) and try the authorization again.',
        oauthError: e.error,
        cause: e,
      },
    );
  }
  if (e instanceof oauth.AuthorizationResponseError) {
    if (e.error === 'access_denied') {
      return new OAuth2Error(
        'oauth2_access_denied',
        `Access was denied on the ${provider.name} consent screen.`,
        {
          hint: 'Start the authorization again and choose Accept/Allow; use an account that may grant the requested scopes.',
          oauthError: e.error,
          cause: e,
        },
      );
    }
    const description = e.error_description ? ` (${e.error_description.slice(0, 300)})` : '';
    return new OAuth2Error(
      'oauth2_authorization_failed',
      `${provider.name} refused the authorization: ${e.error}${description}.`,
      {
        hint: 'Check the app configuration (callback URL, scopes) and try again.',
        oauthError: e.error,
        cause: e,
      },
    );
  }
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) {
    return new OAuth2Error('oauth2_unreachable', `${provider.name} at ${host} did not answer in time.`, {
      hint: 'Try again; check that this server can reach it (firewall, proxy).',
      status: 502,
      cause: e,
    });
  }
  const code = networkCode(e);
  if (e instanceof TypeError && code) {
    return new OAuth2Error('oauth2_unreachable', `Could not reach ${provider.name} at ${host} (${code}).`, {
      hint: 'Check the URL, DNS, proxy and firewall settings of this server.',
      status: 502,
      cause: e,
    });
  }
  const detail = e instanceof Error ? e.message.slice(0, 200) : 'unexpected failure';
  return new OAuth2Error(
    'oauth2_invalid_response',
    `${provider.name}'s answer could not be used: ${detail}.`,
    // No cause: oauth4webapi attaches the parsed token response to it, which may hold tokens.
    {
      hint: 'Check that the token URL points at the OAuth 2.0 endpoint of Jira (or Atlassian).',
      status: 502,
    },
  );
}

/**
 * Handles the callback: checks state (constant time), turns an error redirect into a typed
 * error, and exchanges the code for tokens.
 */
export async function exchangeCode(
  provider: OAuth2Provider,
  creds: OAuth2ClientCredentials,
  input: { callbackParams: URLSearchParams | string; expectedState: string; codeVerifier?: string },
  transport: OAuth2TransportOptions = {},
): Promise<TokenSet> {
  const s = setup(provider, creds, transport);
  const params =
    typeof input.callbackParams === 'string'
      ? new URL(input.callbackParams, 'http://callback.invalid').searchParams
      : input.callbackParams;
  const state = params.get('state') ?? '';
  if (!input.expectedState || !sameState(state, input.expectedState)) {
    throw new OAuth2Error(
      'oauth2_state_mismatch',
      'The authorization callback does not belong to a pending authorization (state mismatch).',
      {
        hint: 'Start the authorization again from Testbridge and finish it in the same browser; do not reuse old links.',
      },
    );
  }
  if (provider.pkce && !input.codeVerifier) {
    throw new OAuth2Error(
      'oauth2_invalid_config',
      'The PKCE code verifier of this authorization is missing.',
      {
        hint: 'Start the authorization again from Testbridge.',
      },
    );
  }
  try {
    const validated = oauth.validateAuthResponse(s.as, s.client, params, input.expectedState);
    const response = await oauth.authorizationCodeGrantRequest(
      s.as,
      s.client,
      s.clientAuth,
      validated,
      creds.redirectUri,
      input.codeVerifier ?? oauth.nopkce,
      s.options,
    );
    const result = await oauth.processAuthorizationCodeResponse(s.as, s.client, response);
    return toTokenSet(result, s.now());
  } catch (e) {
    throw translateOAuth2Failure(e, provider, s.tokenHost, 'code');
  }
}

/** Uses a refresh token once; the answer carries the rotated refresh token to persist. */
export async function refreshTokens(
  provider: OAuth2Provider,
  creds: OAuth2ClientCredentials,
  refreshToken: string,
  transport: OAuth2TransportOptions = {},
): Promise<TokenSet> {
  const s = setup(provider, creds, transport);
  if (!refreshToken) {
    throw new OAuth2Error(
      'oauth2_reauthorization_required',
      'There is no refresh token for this connection.',
      {
        hint: 'Authorize the connection again; on Atlassian Cloud the offline_access scope is needed for refresh tokens.',
      },
    );
  }
  try {
    const response = await oauth.refreshTokenGrantRequest(
      s.as,
      s.client,
      s.clientAuth,
      refreshToken,
      s.options,
    );
    const result = await oauth.processRefreshTokenResponse(s.as, s.client, response);
    return toTokenSet(result, s.now());
  } catch (e) {
    throw translateOAuth2Failure(e, provider, s.tokenHost, 'refresh');
  }
}
