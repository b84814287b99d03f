import { type KeyObject, randomBytes } from 'node:crypto';
import { AppError } from '../errors.js';
import { collectParameters, type FormBody, parseRequestUrl, signatureBaseString } from './base-string.js';
import type { Param } from './encoding.js';
import { assertRsaPrivateKey, authorizationHeader, computeSignature, type SigningKey } from './signature.js';

/** Milliseconds since the epoch, like Date.now; injectable so tests are deterministic. */
export type Clock = () => number;
export type NonceSource = () => string;

/** 128 bits from the CSPRNG: unguessable, and unique enough that Jira never sees a repeat. */
export const randomNonce: NonceSource = () => randomBytes(16).toString('hex');

export interface OAuth1SignOptions {
  method: string;
  /** Where the request is sent. */
  url: string;
  consumerKey: string;
  key: SigningKey;
  token?: string;
  /** oauth_callback of the request-token step: a URL or "oob". */
  callback?: string;
  /** oauth_verifier of the access-token step. */
  verifier?: string;
  /** Further protocol parameters, e.g. oauth_session_handle; names must start with oauth_. */
  extraOAuthParams?: Readonly<Record<string, string>>;
  /** Only an application/x-www-form-urlencoded body; never pass a JSON body here. */
  formBody?: FormBody;
  realm?: string;
  /** RFC 5849 makes oauth_version optional; Jira accepts both, the RFC examples leave it out. */
  omitVersion?: boolean;
  /** Jira's own base URL when it differs from the URL we send to (a reverse proxy). */
  signingBaseUrl?: string;
  /** The base URL we send to, whose prefix of `url` is swapped for signingBaseUrl. */
  requestBaseUrl?: string;
  nonce?: string;
  timestamp?: number;
  clock?: Clock;
  nonceSource?: NonceSource;
}

export interface SignedOAuth1Request {
  authorization: string;
  baseString: string;
  /** The URL the signature covers (differs from `url` when signingBaseUrl is set). */
  signingUrl: string;
  oauthParams: Param[];
  timestamp: number;
  nonce: string;
}

const withoutTrailingSlash = (path: string) => path.replace(/\/+$/, '');

/**
 * The URL Jira will reconstruct for a request we send to `url`. Behind a reverse proxy
 * Jira verifies against its configured base URL, not the address we connect to, so the
 * part of `url` under `requestBaseUrl` is moved under `signingBaseUrl`. Without a
 * requestBaseUrl the request is taken to be under the origin of `url`, or under the same
 * context path as the signing base URL when the path already starts with it.
 */
export function rebaseUrl(url: string, signingBaseUrl: string, requestBaseUrl?: string): string {
  const request = parseRequestUrl(url);
  const target = parseRequestUrl(signingBaseUrl);
  const targetPath = withoutTrailingSlash(target.pathname);
  let fromPath: string;
  if (requestBaseUrl !== undefined) {
    const base = parseRequestUrl(requestBaseUrl);
    fromPath = withoutTrailingSlash(base.pathname);
    if (
      base.origin !== request.origin ||
      !(request.pathname === fromPath || request.pathname.startsWith(`${fromPath}/`))
    ) {
      throw new AppError(
        'oauth1_invalid_url',
        `The request URL ${request.origin}${request.pathname} is not under the Jira URL ${base.origin}${fromPath}.`,
        {
          hint: 'Build request URLs from the configured Jira URL.',
        },
      );
    }
  } else {
    fromPath =
      request.pathname === targetPath || request.pathname.startsWith(`${targetPath}/`) ? targetPath : '';
  }
  const rest = request.pathname.slice(fromPath.length);
  return `${target.origin}${targetPath}${rest}${request.search}`;
}

function checkTimestamp(timestamp: number): number {
  if (!Number.isSafeInteger(timestamp) || timestamp <= 0) {
    throw new AppError(
      'oauth1_invalid_request',
      'The OAuth timestamp must be a positive whole number of seconds.',
      {
        hint: 'Leave it out to use the current time.',
      },
    );
  }
  return timestamp;
}

/** Signs one request with any of the three methods and returns the Authorization header. */
export function signOAuth1(options: OAuth1SignOptions): SignedOAuth1Request {
  if (typeof options.consumerKey !== 'string' || options.consumerKey.trim() === '') {
    throw new AppError('oauth1_invalid_request', 'The consumer key is empty.', {
      hint: 'Enter the consumer key of the incoming application link in Jira.',
    });
  }
  const timestamp = checkTimestamp(options.timestamp ?? Math.floor((options.clock ?? Date.now)() / 1000));
  const nonce = options.nonce ?? (options.nonceSource ?? randomNonce)();
  if (nonce === '') {
    throw new AppError('oauth1_invalid_request', 'The OAuth nonce may not be empty.', {
      hint: 'Leave it out to use a random nonce.',
    });
  }
  const oauthParams: Param[] = [['oauth_consumer_key', options.consumerKey]];
  if (options.token !== undefined) oauthParams.push(['oauth_token', options.token]);
  oauthParams.push(
    ['oauth_signature_method', options.key.method],
    ['oauth_timestamp', String(timestamp)],
    ['oauth_nonce', nonce],
  );
  if (!options.omitVersion) oauthParams.push(['oauth_version', '1.0']);
  if (options.callback !== undefined) oauthParams.push(['oauth_callback', options.callback]);
  if (options.verifier !== undefined) oauthParams.push(['oauth_verifier', options.verifier]);
  for (const [name, value] of Object.entries(options.extraOAuthParams ?? {})) {
    if (
      !name.startsWith('oauth_') ||
      oauthParams.some(([taken]) => taken === name) ||
      name === 'oauth_signature'
    ) {
      throw new AppError('oauth1_invalid_request', `The extra OAuth parameter ${name} is not allowed.`, {
        hint: 'Extra protocol parameters must start with oauth_ and not repeat a standard one.',
      });
    }
    oauthParams.push([name, value]);
  }

  const signingUrl =
    options.signingBaseUrl === undefined
      ? parseRequestUrl(options.url).href
      : rebaseUrl(options.url, options.signingBaseUrl, options.requestBaseUrl);
  const baseString = signatureBaseString(
    options.method,
    signingUrl,
    collectParameters(signingUrl, oauthParams, options.formBody),
  );
  const signature = computeSignature(baseString, options.key);
  const signed: Param[] = [...oauthParams, ['oauth_signature', signature]];
  return {
    authorization: authorizationHeader(signed, options.realm),
    baseString,
    signingUrl,
    oauthParams: signed,
    timestamp,
    nonce,
  };
}

export interface SignRequestOptions {
  method: string;
  url: string;
  consumerKey: string;
  /** Parsed once (readPrivateKey/createPrivateKey) and reused: no PEM parsing per request. */
  privateKey: KeyObject;
  token?: string;
  /** Accepted for symmetry with other OAuth clients; RSA-SHA1 does not use it (RFC 5849 3.4.3). */
  tokenSecret?: string;
  formBody?: FormBody;
  signingBaseUrl?: string;
  requestBaseUrl?: string;
  clock?: Clock;
  nonceSource?: NonceSource;
}

/**
 * The RSA-SHA1 signer for ordinary Jira API calls: returns the Authorization header value.
 * This is the entry point the Jira client's OAuth 1.0a auth strategy uses.
 */
export function signRequest(options: SignRequestOptions): string {
  return signOAuth1({
    method: options.method,
    url: options.url,
    consumerKey: options.consumerKey,
    key: { method: 'RSA-SHA1', privateKey: options.privateKey },
    token: options.token,
    formBody: options.formBody,
    signingBaseUrl: options.signingBaseUrl,
    requestBaseUrl: options.requestBaseUrl,
    clock: options.clock,
    nonceSource: options.nonceSource,
  }).authorization;
}

export type RequestSignerCredentials = Omit<SignRequestOptions, 'method' | 'url' | 'formBody'>;

/**
 * Binds the credentials of one Jira connection once (key checked up front) and returns a
 * function that signs each API call: the shape an HTTP client's auth strategy wants.
 */
export function createRequestSigner(
  credentials: RequestSignerCredentials,
): (request: { method: string; url: string; formBody?: FormBody }) => string {
  assertRsaPrivateKey(credentials.privateKey);
  if (typeof credentials.consumerKey !== 'string' || credentials.consumerKey.trim() === '') {
    throw new AppError('oauth1_invalid_request', 'The consumer key is empty.', {
      hint: 'Enter the consumer key of the incoming application link in Jira.',
    });
  }
  const bound = { ...credentials };
  return (request) => signRequest({ ...bound, ...request });
}
