import type { KeyObject } from 'node:crypto';
import { AppError } from '../errors.js';
import { fingerprint } from '../keys/fingerprint.js';
import { parseRequestUrl } from './base-string.js';
import { formDecode, type Param, percentEncode } from './encoding.js';
import { oauthProblemError, parseOAuthProblem } from './problems.js';
import { type Clock, type NonceSource, signOAuth1 } from './sign.js';

/** Jira's OAuth 1.0a endpoints, below the Jira base URL (Server, Data Center and Cloud alike). */
export const JIRA_OAUTH_PATHS = {
  requestToken: '/plugins/servlet/oauth/request-token',
  authorize: '/plugins/servlet/oauth/authorize',
  accessToken: '/plugins/servlet/oauth/access-token',
} as const;

export interface JiraOAuth1Config {
  /** Where Testbridge sends requests (may be an internal address). */
  jiraUrl: string;
  /** Jira's own base URL, when it differs from jiraUrl (Jira behind a proxy); signatures use it. */
  signingBaseUrl?: string;
  consumerKey: string;
  privateKey: KeyObject;
  fetch?: typeof fetch;
  clock?: Clock;
  nonceSource?: NonceSource;
  /** Abort a Jira call that takes longer than this (default 30 s). */
  timeoutMs?: number;
}

export interface RequestToken {
  token: string;
  tokenSecret: string;
  callbackConfirmed: boolean;
  /** Where the admin's browser goes to click Allow. */
  authorizationUrl: string;
}

export interface AccessToken {
  token: string;
  tokenSecret: string;
  /** Seconds until the token expires, when Jira says (oauth_expires_in). */
  expiresIn?: number;
  sessionHandle?: string;
  authorizationExpiresIn?: number;
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

function endpoint(config: JiraOAuth1Config, path: string): string {
  const base = parseRequestUrl(config.jiraUrl);
  if (base.username || base.password) {
    // It would end up in error messages and logs; Jira's OAuth endpoints do not use it anyway.
    throw new AppError('oauth1_invalid_url', 'The Jira URL must not contain a user name or password.', {
      hint: 'Remove the "user:password@" part; OAuth identifies Testbridge by its consumer key and key pair.',
    });
  }
  if (base.search || base.hash) {
    throw new AppError('oauth1_invalid_url', 'The Jira URL must not have a query or fragment.', {
      hint: 'Use the Jira base URL only, e.g. https://jira.example.com or https://example.com/jira.',
    });
  }
  return `${trimSlash(base.href)}${path}`;
}

/**
 * The URL the admin opens to click Allow. A browser reaches Jira at its own base URL, which
 * is the signing base URL when one is configured (jiraUrl may be an internal address).
 */
export function authorizationUrl(
  config: Pick<JiraOAuth1Config, 'jiraUrl' | 'signingBaseUrl'>,
  requestToken: string,
): string {
  const base = trimSlash(parseRequestUrl(config.signingBaseUrl ?? config.jiraUrl).href);
  return `${base}${JIRA_OAUTH_PATHS.authorize}?oauth_token=${percentEncode(requestToken)}`;
}

const optionalNumber = (value: string | undefined) => {
  if (value === undefined || value.trim() === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
};

async function postToJira(
  config: JiraOAuth1Config,
  path: string,
  oauth: { token?: string; callback?: string; verifier?: string },
): Promise<Param[]> {
  const url = endpoint(config, path);
  const signed = signOAuth1({
    method: 'POST',
    url,
    consumerKey: config.consumerKey,
    key: { method: 'RSA-SHA1', privateKey: config.privateKey },
    ...oauth,
    signingBaseUrl: config.signingBaseUrl,
    requestBaseUrl: config.signingBaseUrl === undefined ? undefined : config.jiraUrl,
    clock: config.clock,
    nonceSource: config.nonceSource,
  });
  const doFetch = config.fetch ?? fetch;
  let response: Response;
  let body: string;
  try {
    response = await doFetch(url, {
      method: 'POST',
      headers: {
        Authorization: signed.authorization,
        Accept: 'application/x-www-form-urlencoded, text/plain, */*',
      },
      // A redirect would be followed to a URL the signature does not cover: report it instead.
      redirect: 'manual',
      signal: AbortSignal.timeout(config.timeoutMs ?? 30_000),
    });
    body = await response.text();
  } catch (cause) {
    const reason =
      cause instanceof Error ? (cause.name === 'TimeoutError' ? 'timed out' : cause.message) : 'failed';
    throw new AppError('oauth1_jira_unreachable', `Could not reach Jira at ${url}: ${reason}.`, {
      hint: 'Check the Jira URL, that Testbridge can reach it (DNS, firewall, proxy) and that Jira is running.',
      cause,
    });
  }

  if (response.ok) {
    const params = /^\s*</.test(body) ? [] : safeDecode(body);
    const token = params.findLast(([name]) => name === 'oauth_token')?.[1];
    const tokenSecret = params.findLast(([name]) => name === 'oauth_token_secret')?.[1];
    if (!token || tokenSecret === undefined) {
      throw new AppError(
        'oauth1_unexpected_response',
        `Jira answered ${url} with ${response.status} but without an OAuth token.`,
        {
          hint: 'Check that the Jira URL points at Jira itself (including a context path such as /jira), not at a login page or proxy.',
        },
      );
    }
    return params;
  }

  const problem = parseOAuthProblem({
    status: response.status,
    body,
    wwwAuthenticate: response.headers.get('www-authenticate'),
  });
  if (problem) {
    throw oauthProblemError(problem, {
      consumerKey: config.consumerKey,
      requestUrl: url,
      signingUrl: signed.signingUrl,
      ourBaseString: signed.baseString,
      ourTimestamp: signed.timestamp,
      keyFingerprint: fingerprint(config.privateKey).sha256,
      endpointPath: path,
    });
  }
  if (response.status >= 300 && response.status < 400) {
    const location = response.headers.get('location');
    throw new AppError('oauth1_jira_redirect', `Jira redirected ${url} to ${location ?? 'another URL'}.`, {
      hint: 'Use the URL Jira redirects to (for example https instead of http, or with its context path) as the Jira URL.',
    });
  }
  if (response.status === 404) {
    throw new AppError('oauth1_endpoint_not_found', `Jira has no OAuth endpoint at ${url} (404).`, {
      hint: 'Check the Jira URL, including a context path such as /jira.',
    });
  }
  throw new AppError(
    'oauth1_jira_error',
    `Jira answered ${url} with HTTP ${response.status} and no OAuth problem report.`,
    {
      hint:
        response.status >= 500
          ? 'Jira had an internal error: check the Jira logs, then try again.'
          : 'Check the Jira URL and the application link, then try again.',
    },
  );
}

function safeDecode(body: string): Param[] {
  try {
    return formDecode(body.trim(), 'Jira response');
  } catch {
    return [];
  }
}

const value = (params: readonly Param[], name: string) => params.findLast(([key]) => key === name)?.[1];

/**
 * Step 1 of the three-legged flow: a request token. `callback` is where Jira sends the
 * browser after Allow; "oob" makes Jira show a verification code to paste instead.
 */
export async function getRequestToken(
  config: JiraOAuth1Config,
  options: { callback?: string } = {},
): Promise<RequestToken> {
  const callback = options.callback ?? 'oob';
  if (callback !== 'oob') parseRequestUrl(callback);
  const params = await postToJira(config, JIRA_OAUTH_PATHS.requestToken, { callback });
  const token = value(params, 'oauth_token')!;
  return {
    token,
    tokenSecret: value(params, 'oauth_token_secret')!,
    callbackConfirmed: value(params, 'oauth_callback_confirmed') === 'true',
    authorizationUrl: authorizationUrl(config, token),
  };
}

/** Step 3: trade the authorized request token and the verifier for an access token. */
export async function getAccessToken(
  config: JiraOAuth1Config,
  options: { requestToken: string; verifier: string },
): Promise<AccessToken> {
  // Jira shows the code in quotes, and people copy the quotes along.
  const verifier = options.verifier.trim().replace(/^["'\u201c\u201d]+|["'\u201c\u201d]+$/g, '');
  if (verifier === '') {
    throw new AppError('oauth1_verifier_missing', 'The verification code is empty.', {
      hint: 'Paste the code Jira showed after you clicked Allow (the value in quotes).',
    });
  }
  const params = await postToJira(config, JIRA_OAUTH_PATHS.accessToken, {
    token: options.requestToken,
    verifier,
  });
  const token: AccessToken = {
    token: value(params, 'oauth_token')!,
    tokenSecret: value(params, 'oauth_token_secret')!,
  };
  const expiresIn = optionalNumber(value(params, 'oauth_expires_in'));
  if (expiresIn !== undefined) token.expiresIn = expiresIn;
  const sessionHandle = value(params, 'oauth_session_handle');
  if (sessionHandle) token.sessionHandle = sessionHandle;
  const authorizationExpiresIn = optionalNumber(value(params, 'oauth_authorization_expires_in'));
  if (authorizationExpiresIn !== undefined) token.authorizationExpiresIn = authorizationExpiresIn;
  return token;
}
