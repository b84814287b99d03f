/**
 * RFC 5849 signature base string and RSA-SHA1 verification, written for the simulator alone:
 * Testbridge's signer is a separate implementation, so a bug in one cannot cancel out in the other.
 */
import { type KeyObject, verify } from 'node:crypto';

export type ParamPair = [name: string, value: string];

/** RFC 5849 3.6: percent-encode everything except the RFC 3986 unreserved characters. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export class MalformedParameters extends Error {}

function decodeStrict(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new MalformedParameters('A parameter is not valid percent-encoding.');
  }
}

/** application/x-www-form-urlencoded as RFC 5849 3.4.1.3.1 reads it ('+' is a space). */
export function parseFormEncoded(text: string): ParamPair[] {
  const pairs: ParamPair[] = [];
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawName = eq === -1 ? part : part.slice(0, eq);
    const rawValue = eq === -1 ? '' : part.slice(eq + 1);
    pairs.push([decodeStrict(rawName.replaceAll('+', ' ')), decodeStrict(rawValue.replaceAll('+', ' '))]);
  }
  return pairs;
}

/**
 * The `Authorization: OAuth ...` header (RFC 5849 3.5.1). Returns undefined when the header is
 * not OAuth; throws MalformedParameters when it is OAuth but cannot be read.
 */
export function parseAuthorizationHeader(header: string | undefined): ParamPair[] | undefined {
  if (!header) return undefined;
  const match = /^\s*OAuth(?:\s+|$)/i.exec(header);
  if (!match) return undefined;
  const rest = header.slice(match[0].length);
  const pairs: ParamPair[] = [];
  const item = /\s*([^\s=,]+)\s*=\s*"([^"]*)"\s*(?:,|$)/y;
  let index = 0;
  while (index < rest.length) {
    if (/^\s*$/.test(rest.slice(index))) break;
    item.lastIndex = index;
    const found = item.exec(rest);
    if (!found) throw new MalformedParameters('The OAuth Authorization header is malformed.');
    pairs.push([decodeStrict(found[1]!), decodeStrict(found[2]!)]);
    index = item.lastIndex;
  }
  return pairs;
}

/** RFC 5849 3.4.1.2: scheme and host lower-cased, default port dropped, no query or fragment. */
export function baseStringUri(url: URL): string {
  const scheme = url.protocol.toLowerCase();
  const host = url.hostname.toLowerCase();
  const defaultPort =
    (scheme === 'http:' && url.port === '80') || (scheme === 'https:' && url.port === '443');
  const port = url.port && !defaultPort ? `:${url.port}` : '';
  return `${scheme}//${host}${port}${url.pathname || '/'}`;
}

/** RFC 5849 3.4.1.3.2: encode, sort by name then value, join. */
export function normalizeParameters(pairs: readonly ParamPair[]): string {
  return pairs
    .filter(([name]) => name !== 'oauth_signature')
    .map(([name, value]) => [percentEncode(name), percentEncode(value)] as const)
    .sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

export function signatureBaseString(method: string, uri: string, pairs: readonly ParamPair[]): string {
  return [method.toUpperCase(), percentEncode(uri), percentEncode(normalizeParameters(pairs))].join('&');
}

export function verifyRsaSha1(baseString: string, signatureBase64: string, publicKey: KeyObject): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signatureBase64)) return false;
  try {
    return verify(
      'RSA-SHA1',
      Buffer.from(baseString, 'utf8'),
      publicKey,
      Buffer.from(signatureBase64, 'base64'),
    );
  } catch {
    return false;
  }
}
