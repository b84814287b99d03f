import { createPublicKey, type KeyObject } from 'node:crypto';
import { AppError } from '../errors.js';
import { fingerprint } from '../keys/fingerprint.js';
import { oauthProblemError, parseOAuthProblem, signOAuth1 } from '../oauth1/index.js';

export type JiraAuthKind = 'basic' | 'pat' | 'oauth1' | 'oauth2';

/** What a strategy needs to know about one outgoing request to authorize it. */
export type AuthRequest = {
  method: string;
  /** Path below the API root (what the endpoint is), for diagnostics. */
  path: string;
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

/** What Jira answered when it refused a request, for a strategy to explain. */
export type RejectedResponse = { status: number; body: string; headers: Headers };

/** A strategy's reading of a refusal: what went wrong and what to do, in plain words. */
export type RejectionExplanation = {
  message: string;
  hint: string;
  /** Protocol-level reason, e.g. OAuth 1.0a's oauth_problem ("signature_invalid"). */
  problem?: string;
  cause?: unknown;
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
  /** Explains a 401 better than the status alone can (OAuth 1.0a problem reports). */
  explainRejection?(
    response: RejectedResponse,
    request: AuthRequest,
    authorization: string,
  ): RejectionExplanation | undefined;
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
  return {
    kind: 'basic',
    authorization: async () => header,
    explainRejection: (response) => {
      // Server/DC locks Basic auth behind a CAPTCHA after repeated failed logins.
      if (/AUTHENTICATION_DENIED/i.test(response.headers.get('x-seraph-loginreason') ?? '')) {
        return {
          message: `Jira requires a CAPTCHA for ${username} after too many failed logins, so Basic auth is refused.`,
          hint: 'Log in to Jira in a browser as this user once (solving the CAPTCHA), then check the password in Testbridge.',
          problem: 'captcha_required',
        };
      }
      if (/basic authentication with passwords is deprecated/i.test(response.body)) {
        return {
          message: 'Jira Cloud does not accept account passwords for API calls.',
          hint: 'Create an API token at id.atlassian.com (Security → API tokens) and use it with the account e-mail address.',
          problem: 'password_not_accepted',
        };
      }
      return undefined;
    },
  };
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

/** How many recent signatures the OAuth 1.0a strategy remembers to explain a refusal. */
const REMEMBERED_SIGNATURES = 64;

/**
 * OAuth 1.0a RSA-SHA1 with the consumer key of the application link and the access token
 * from the three-legged flow. The token secret plays no part in RSA-SHA1 signatures.
 * When Jira refuses a request it reports an oauth_problem; the strategy keeps the base
 * strings of its recent signatures so src/oauth1 can say exactly what Jira saw differently
 * (wrong base URL behind a proxy, wrong key, clock skew).
 */
export function oauth1Auth(options: {
  consumerKey: string;
  privateKey: KeyObject;
  accessToken: string;
  /** Replaces src/oauth1's signer (tests); refusals are then explained without base strings. */
  sign?: OAuth1Signer;
}): JiraAuth {
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
  const privateKey = options.privateKey;
  // Kept in memory only: a base string carries the access token, so it never leaves here.
  const recent = new Map<string, { baseString: string; timestamp: number }>();
  const keyFingerprint = fingerprint(createPublicKey(privateKey)).sha256;

  return {
    kind: 'oauth1',
    authorization: async (request) => {
      const input: OAuth1SignInput = {
        method: request.method,
        url: request.signingUrl.toString(),
        consumerKey,
        privateKey,
        token: accessToken,
        ...(request.formBody ? { formBody: request.formBody } : {}),
      };
      if (options.sign) return options.sign(input);
      const signed = signOAuth1({
        method: input.method,
        url: input.url,
        consumerKey,
        key: { method: 'RSA-SHA1', privateKey },
        token: accessToken,
        ...(input.formBody ? { formBody: input.formBody } : {}),
      });
      recent.set(signed.authorization, { baseString: signed.baseString, timestamp: signed.timestamp });
      if (recent.size > REMEMBERED_SIGNATURES) recent.delete(recent.keys().next().value as string);
      return signed.authorization;
    },
    explainRejection: (response, request, authorization) => {
      const report = parseOAuthProblem({
        status: response.status,
        body: response.body,
        wwwAuthenticate: response.headers.get('www-authenticate'),
      });
      if (!report) return undefined;
      const ours = recent.get(authorization);
      const error = oauthProblemError(report, {
        consumerKey,
        requestUrl: `${request.url.origin}${request.url.pathname}`,
        signingUrl: `${request.signingUrl.origin}${request.signingUrl.pathname}`,
        endpointPath: request.path,
        keyFingerprint,
        ...(ours ? { ourBaseString: ours.baseString, ourTimestamp: ours.timestamp } : {}),
      });
      return { message: error.message, hint: error.hint ?? '', problem: error.problem, cause: error };
    },
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
    explainRejection: (response) => {
      if (/scope does not match/i.test(response.body)) {
        return {
          message: 'The OAuth 2.0 authorization does not include the scope this Jira operation needs.',
          hint: 'Add the missing scope to the app (Atlassian developer console → Permissions), then authorize the connection again.',
          problem: 'insufficient_scope',
        };
      }
      return undefined;
    },
  };
}
