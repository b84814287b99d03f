import { createHmac, type KeyObject, sign, timingSafeEqual, verify } from 'node:crypto';
import { AppError } from '../errors.js';
import { collectParameters, type FormBody, signatureBaseString } from './base-string.js';
import { type Param, percentDecode, percentEncode } from './encoding.js';

export const SIGNATURE_METHODS = ['RSA-SHA1', 'HMAC-SHA1', 'PLAINTEXT'] as const;
export type SignatureMethod = (typeof SIGNATURE_METHODS)[number];

/** What signs: an RSA private key (Jira's only method) or the shared secrets. */
export type SigningKey =
  | { method: 'RSA-SHA1'; privateKey: KeyObject }
  | { method: 'HMAC-SHA1' | 'PLAINTEXT'; consumerSecret: string; tokenSecret?: string };

/** What verifies: the RSA public key (or certificate key), or the same shared secrets. */
export type VerifyingKey =
  | { method: 'RSA-SHA1'; publicKey: KeyObject }
  | { method: 'HMAC-SHA1' | 'PLAINTEXT'; consumerSecret: string; tokenSecret?: string };

/** RFC 5849 3.4.2 and 3.4.4: the HMAC key and the PLAINTEXT signature are the same string. */
const sharedSecretKey = (consumerSecret: string, tokenSecret = '') =>
  `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`;

export function assertRsaPrivateKey(key: KeyObject): void {
  if (key?.type !== 'private' || key.asymmetricKeyType !== 'rsa') {
    throw new AppError('oauth1_invalid_key', 'RSA-SHA1 signing needs an RSA private key.', {
      hint: 'Read the key with readPrivateKey() from src/keys and pass its `key`.',
    });
  }
}

/** The oauth_signature value (before it is percent-encoded into the header). */
export function computeSignature(baseString: string, key: SigningKey): string {
  switch (key.method) {
    case 'RSA-SHA1':
      assertRsaPrivateKey(key.privateKey);
      // RFC 5849 3.4.3: RSASSA-PKCS1-v1_5 with SHA-1, node's default padding for RSA keys.
      return sign('sha1', Buffer.from(baseString, 'ascii'), key.privateKey).toString('base64');
    case 'HMAC-SHA1':
      return createHmac('sha1', sharedSecretKey(key.consumerSecret, key.tokenSecret))
        .update(baseString, 'ascii')
        .digest('base64');
    case 'PLAINTEXT':
      return sharedSecretKey(key.consumerSecret, key.tokenSecret);
  }
}

/**
 * RFC 5849 3.5.1. Values are percent-encoded; realm is an RFC 2617 quoted string and is
 * not, so it must not need escaping.
 */
export function authorizationHeader(params: readonly Param[], realm?: string): string {
  const parts = params.map(([name, value]) => `${percentEncode(name)}="${percentEncode(value)}"`);
  if (realm !== undefined) {
    if (/["\\\r\n]/.test(realm)) {
      throw new AppError(
        'oauth1_invalid_request',
        'The OAuth realm may not contain quotes, backslashes or newlines.',
        {
          hint: 'Use a plain realm such as the Jira base URL, or none.',
        },
      );
    }
    parts.unshift(`realm="${realm}"`);
  }
  return `OAuth ${parts.join(', ')}`;
}

export interface ParsedAuthorization {
  realm: string | undefined;
  params: Param[];
}

const AUTH_PARAM = /^\s*([^\s=,]+)\s*=\s*(?:"([^"]*)"|([^\s,]*))\s*(?:,|$)/;

/** Reads an `Authorization: OAuth ...` (or `WWW-Authenticate: OAuth ...`) value. */
export function parseAuthorizationHeader(header: string): ParsedAuthorization {
  const match = /^\s*OAuth(?:\s+|$)/i.exec(header);
  if (!match) {
    throw new AppError('oauth1_invalid_request', 'The Authorization header does not use the OAuth scheme.', {
      hint: 'It must start with "OAuth " followed by name="value" pairs.',
    });
  }
  let rest = header.slice(match[0].length);
  let realm: string | undefined;
  const params: Param[] = [];
  while (rest.trim() !== '') {
    const param = AUTH_PARAM.exec(rest);
    if (!param) {
      throw new AppError('oauth1_invalid_request', 'The OAuth Authorization header is malformed.', {
        hint: 'Use name="value" pairs separated by commas.',
      });
    }
    const name = param[1]!;
    const raw = param[2] ?? param[3] ?? '';
    if (name === 'realm') realm = raw;
    else
      params.push([percentDecode(name, 'Authorization header'), percentDecode(raw, 'Authorization header')]);
    rest = rest.slice(param[0].length);
  }
  return { realm, params };
}

export interface VerifyInput {
  method: string;
  /** The URL as the server sees the request (its own base URL, path and query). */
  url: string | URL;
  /** The Authorization header value, or the protocol parameters themselves. */
  authorization: string | readonly Param[];
  formBody?: FormBody;
  key: VerifyingKey;
}

/**
 * Server-side check of a signed request, for all three methods. Returns false for any
 * signature that does not match, including a method other than the key's.
 */
export function verifySignature(input: VerifyInput): boolean {
  const oauthParams =
    typeof input.authorization === 'string'
      ? parseAuthorizationHeader(input.authorization).params
      : [...input.authorization];
  const signatures = oauthParams.filter(([name]) => name === 'oauth_signature');
  const methods = oauthParams.filter(([name]) => name === 'oauth_signature_method');
  if (signatures.length !== 1 || methods.length !== 1 || methods[0]![1] !== input.key.method) return false;
  const given = signatures[0]![1];
  const baseString = signatureBaseString(
    input.method,
    input.url,
    collectParameters(input.url, oauthParams, input.formBody),
  );
  const key = input.key;
  if (key.method === 'RSA-SHA1') {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(given)) return false;
    return verify('sha1', Buffer.from(baseString, 'ascii'), key.publicKey, Buffer.from(given, 'base64'));
  }
  const expected = Buffer.from(computeSignature(baseString, key), 'utf8');
  const actual = Buffer.from(given, 'utf8');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
