import type { KeyObject } from 'node:crypto';
import { AppError } from '../errors.js';
import { signRequest } from '../oauth1/index.js';

export type JiraAuthKind = 'basic' | 'pat' | 'oauth1' | 'oauth2';

/** What a strategy needs to know about one outgoing request to authorize it. */
export type AuthRequest = {
  method: string;
  /** Where the request is actually sent. */
  url: URL;
  /**
   * The same request as addressed to Jira's own base URL. Jira behind a reverse proxy
   * rebuilds the request URL from its base URL before verifying an OAuth 1.0a signature,
   * so that is the URL to sign, not the one we connect to.
   */
  signingUrl: URL;
  /** application/x-www-form-urlencoded parameters, which OAuth 1.0a signs too. */
  formBody?: URLSearchParams;
};

export interface JiraAuth {
  readonly kind: JiraAuthKind;
  /** The Authorization header value for this request. */
  authorization(request: AuthRequest): Promise<string>;
  /**
   * Jira answered 401 to a request sent with `rejected`. Resolve true when a fresh
   * authorization is now available and the request is worth one retry.
   */
  onUnauthorized?(rejected: string): Promise<boolean>;
}

function requireValue(value: string | undefined, what: string, hint: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new AppError('jira_auth_incomplete', `The ${what} is missing.`, { hint, status: 400 });
  }
  return value;
}

/**
 * HTTP Basic: email + API token on Cloud, username + password on Server/DC. Jira Cloud
 * ignores passwords here, which is why the hint names the API token.
 */
export function basicAuth(credentials: { username: string; password: string }): JiraAuth {
  const username = requireValue(
    credentials.username,
    'Jira user name (or e-mail address on Cloud)',
    'Enter the Jira user name; on Jira Cloud use the account e-mail address.',
  );
  const password = requireValue(
    credentials.password,
    'Jira password (or API token on Cloud)',
    'Enter the password; on Jira Cloud create an API token at id.atlassian.com and use it instead.',
  );
  if (username.includes(':')) {
    throw new AppError(
      'jira_auth_invalid',
      'The Jira user name contains a colon, which Basic auth cannot carry.',
      {
        hint: 'Use the account e-mail address or user name without a colon.',
        status: 400,
      },
    );
  }
  const header = `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
  return { kind: 'basic', authorization: async () => header };
}

/** Personal access token (Jira Server/DC 8.14+), sent as a bearer token. */
export function patAuth(credentials: { token: string }): JiraAuth {
  const token = requireValue(
    credentials.token,
    'personal access token',
    'Create a personal access token in Jira (Profile → Personal Access Tokens) and paste it.',
  ).trim();
  const header = `Bearer ${token}`;
  return { kind: 'pat', authorization: async () => header };
}

/** What the OAuth 1.0a signer (src/oauth1) needs for one request. */
export type OAuth1SignInput = {
  method: string;
  /** The URL to sign (Jira's base URL + path + query). */
  url: string;
  consumerKey: string;
  privateKey: KeyObject;
  token?: string;
  formBody?: URLSearchParams;
};

/** Returns the Authorization header value (`OAuth oauth_consumer_key="…", …`). */
export type OAuth1Signer = (input: OAuth1SignInput) => string;

/**
 * src/oauth1's RSA-SHA1 signer. The URL given is already rebased onto Jira's base URL by
 * the transport, so no signingBaseUrl is passed here.
 */
export const rsaSha1Signer: OAuth1Signer = (input) =>
  signRequest({
    method: input.method,
    url: input.url,
    consumerKey: input.consumerKey,
    privateKey: input.privateKey,
    ...(input.token !== undefined ? { token: input.token } : {}),
    ...(input.formBody ? { formBody: input.formBody } : {}),
  });

/**
 * OAuth 1.0a RSA-SHA1 with the consumer key of the application link and the access token
 * from the three-legged flow. The token secret plays no part in RSA-SHA1 signatures.
 */
export function oauth1Auth(options: {
  consumerKey: string;
  privateKey: KeyObject;
  accessToken: string;
  /** Defaults to src/oauth1's signer; injectable for tests. */
  sign?: OAuth1Signer;
}): JiraAuth {
  const sign = options.sign ?? rsaSha1Signer;
  const consumerKey = requireValue(
    options.consumerKey,
    'consumer key',
    'Enter the consumer key configured in the Jira application link.',
  );
  const accessToken = requireValue(
    options.accessToken,
    'OAuth access token',
    'Authorize the connection again to obtain an access token.',
  );
  if (options.privateKey.type !== 'private') {
    throw new AppError('jira_auth_invalid', 'The OAuth 1.0a key is not a private key.', {
      hint: 'Paste the private key (PKCS#8, "BEGIN PRIVATE KEY"), not the public key given to Jira.',
      status: 400,
    });
  }
  return {
    kind: 'oauth1',
    authorization: async (request) =>
      sign({
        method: request.method,
        url: request.signingUrl.toString(),
        consumerKey,
        privateKey: options.privateKey,
        token: accessToken,
        ...(request.formBody ? { formBody: request.formBody } : {}),
      }),
  };
}

/**
 * Where OAuth 2.0 access tokens come from (src/oauth2's token manager satisfies this).
 * Kept as an interface so the Jira client does not depend on the OAuth 2.0 machinery.
 */
export interface AccessTokenSource {
  accessToken(): Promise<string>;
  /**
   * `rejected` was refused by Jira. Refresh (shared by concurrent callers) unless a newer
   * token already replaced it; resolve true when a different token is now available.
   */
  refreshAfterRejection(rejected: string): Promise<boolean>;
}

export function oauth2Auth(tokens: AccessTokenSource): JiraAuth {
  return {
    kind: 'oauth2',
    authorization: async () => `Bearer ${await tokens.accessToken()}`,
    onUnauthorized: (rejected) => tokens.refreshAfterRejection(rejected.replace(/^Bearer /, '')),
  };
}
