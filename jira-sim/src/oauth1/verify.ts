import type { Context } from 'hono';
import type { ApplicationLink, ApplicationLinkStore } from '../applinks/store.js';
import type { SimClock } from '../context.js';
import {
  MalformedParameters,
  type ParamPair,
  baseStringUri,
  parseAuthorizationHeader,
  parseFormEncoded,
  percentEncode,
  signatureBaseString,
  verifyRsaSha1,
} from './signature.js';
import { type AccessToken, type OAuth1Store, type RequestToken, TIMESTAMP_WINDOW_SECONDS } from './tokens.js';

/** oauth_problem values of the OAuth Problem Reporting extension that Jira answers with. */
export type OAuthProblemName =
  | 'version_rejected'
  | 'parameter_absent'
  | 'parameter_rejected'
  | 'timestamp_refused'
  | 'nonce_used'
  | 'signature_method_rejected'
  | 'signature_invalid'
  | 'consumer_key_unknown'
  | 'token_rejected'
  | 'token_expired'
  | 'token_used'
  | 'permission_unknown'
  | 'permission_denied';

export class OAuthProblem extends Error {
  constructor(
    readonly problem: OAuthProblemName,
    readonly details: Record<string, string> = {},
  ) {
    super(problem);
  }
}

/**
 * Jira's answer to a bad OAuth request: 401, the problem form-encoded in the body, and the
 * same parameters in WWW-Authenticate with the realm set to the base URL.
 */
export function oauthProblemResponse(baseUrl: string, problem: OAuthProblem): Response {
  const params: ParamPair[] = [['oauth_problem', problem.problem], ...Object.entries(problem.details)];
  const body = params.map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`).join('&');
  const header = [
    `OAuth realm="${baseUrl}"`,
    ...params.map(([name, value]) => `${name}="${percentEncode(value)}"`),
  ].join(', ');
  return new Response(body, {
    status: 401,
    headers: { 'content-type': 'text/plain;charset=UTF-8', 'www-authenticate': header },
  });
}

/** The request URL as Jira sees it: its base URL (reverse proxy) plus the path under the context path. */
export function urlAsJiraSeesIt(c: Context, baseUrl: string, contextPath: string): URL {
  const actual = new URL(c.req.url);
  const path =
    contextPath && actual.pathname.startsWith(contextPath)
      ? actual.pathname.slice(contextPath.length)
      : actual.pathname;
  return new URL(`${baseUrl}${path}${actual.search}`);
}

export type OAuthParams = Map<string, string>;

/** Parameters of an OAuth request, or undefined when the request carries no OAuth at all. */
export async function readOAuthParams(
  c: Context,
): Promise<{ all: ParamPair[]; oauth: OAuthParams } | undefined> {
  let header: ParamPair[] | undefined;
  let query: ParamPair[];
  let body: ParamPair[] = [];
  try {
    header = parseAuthorizationHeader(c.req.header('authorization'));
    query = parseFormEncoded(new URL(c.req.url).search.slice(1));
    const type = c.req.header('content-type') ?? '';
    if (type.toLowerCase().startsWith('application/x-www-form-urlencoded'))
      body = parseFormEncoded(await c.req.text());
  } catch (error) {
    if (error instanceof MalformedParameters) throw new OAuthProblem('parameter_rejected');
    throw error;
  }
  const fromHeader = (header ?? []).filter(([name]) => name !== 'realm');
  const all = [...fromHeader, ...query, ...body];
  const oauth: OAuthParams = new Map();
  for (const [name, value] of all) {
    if (!name.startsWith('oauth_')) continue;
    // A parameter sent twice (or in two places) makes the signature ambiguous: RFC 5849 3.2.
    if (oauth.has(name)) throw new OAuthProblem('parameter_rejected', { oauth_parameters_rejected: name });
    oauth.set(name, value);
  }
  if (header === undefined && !oauth.has('oauth_consumer_key')) return undefined;
  return { all, oauth };
}

export type VerifyDeps = {
  baseUrl: string;
  contextPath: string;
  clock: SimClock;
  links: ApplicationLinkStore;
  tokens: OAuth1Store;
};

export type VerifiedRequest = {
  link: ApplicationLink;
  oauth: OAuthParams;
  requestToken?: RequestToken;
  accessToken?: AccessToken;
};

const REQUIRED = [
  'oauth_consumer_key',
  'oauth_signature_method',
  'oauth_signature',
  'oauth_timestamp',
  'oauth_nonce',
];

/**
 * Checks an OAuth 1.0a request as Jira's service provider does: version, parameters, signature
 * method, consumer, timestamp window, RSA-SHA1 signature over the base-URL request, nonce, token.
 * `token` says which token the request must carry: none (request-token), a request token
 * (access-token) or an access token (API calls).
 */
export async function verifyOAuthRequest(
  c: Context,
  deps: VerifyDeps,
  token: 'none' | 'request' | 'access',
  read?: { all: ParamPair[]; oauth: OAuthParams },
): Promise<VerifiedRequest> {
  const params = read ?? (await readOAuthParams(c));
  if (!params) throw new OAuthProblem('parameter_absent', { oauth_parameters_absent: REQUIRED.join('&') });
  const { all, oauth } = params;
  const version = oauth.get('oauth_version');
  if (version !== undefined && version !== '1.0') {
    throw new OAuthProblem('version_rejected', { oauth_acceptable_versions: '1.0-1.0' });
  }
  const needed = token === 'none' ? REQUIRED : [...REQUIRED, 'oauth_token'];
  const absent = needed.filter((name) => !oauth.get(name));
  if (absent.length > 0)
    throw new OAuthProblem('parameter_absent', { oauth_parameters_absent: absent.join('&') });
  const method = oauth.get('oauth_signature_method')!;
  if (method !== 'RSA-SHA1') {
    throw new OAuthProblem('signature_method_rejected', { oauth_acceptable_signature_methods: 'RSA-SHA1' });
  }
  const link = deps.links.byConsumerKey(oauth.get('oauth_consumer_key')!);
  if (!link) throw new OAuthProblem('consumer_key_unknown');

  const nowSeconds = Math.floor(deps.clock.now() / 1000);
  const timestampText = oauth.get('oauth_timestamp')!;
  const timestamp = /^\d{1,12}$/.test(timestampText) ? Number(timestampText) : Number.NaN;
  if (!Number.isFinite(timestamp) || Math.abs(timestamp - nowSeconds) > TIMESTAMP_WINDOW_SECONDS) {
    throw new OAuthProblem('timestamp_refused', {
      oauth_acceptable_timestamps: `${nowSeconds - TIMESTAMP_WINDOW_SECONDS}-${nowSeconds + TIMESTAMP_WINDOW_SECONDS}`,
    });
  }

  const signature = oauth.get('oauth_signature')!;
  const uri = baseStringUri(urlAsJiraSeesIt(c, deps.baseUrl, deps.contextPath));
  const baseString = signatureBaseString(c.req.method, uri, all);
  if (!verifyRsaSha1(baseString, signature, link.publicKey)) {
    throw new OAuthProblem('signature_invalid', {
      oauth_signature: signature,
      oauth_signature_base_string: baseString,
      oauth_signature_method: method,
    });
  }
  // Only after the signature holds, so unsigned traffic cannot burn a client's nonces.
  if (!deps.tokens.recordNonce(link.consumerKey, oauth.get('oauth_nonce')!, timestamp, nowSeconds)) {
    throw new OAuthProblem('nonce_used');
  }

  const verified: VerifiedRequest = { link, oauth };
  const tokenValue = oauth.get('oauth_token');
  if (token === 'request') {
    const requestToken = deps.tokens.requestToken(tokenValue!);
    if (!requestToken || requestToken.consumerKey !== link.consumerKey)
      throw new OAuthProblem('token_rejected');
    verified.requestToken = requestToken;
  } else if (token === 'access') {
    const accessToken = deps.tokens.accessToken(tokenValue!);
    if (!accessToken || accessToken.consumerKey !== link.consumerKey)
      throw new OAuthProblem('token_rejected');
    if (accessToken.expiresAt <= deps.clock.now()) throw new OAuthProblem('token_expired');
    verified.accessToken = accessToken;
  }
  return verified;
}
