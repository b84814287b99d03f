import { AppError } from '../errors.js';
import { formDecode, type Param, percentEncode } from './encoding.js';

/** A form body as a caller may hold it; a JSON body is never a parameter source. */
export type FormBody = string | URLSearchParams | readonly Param[] | Readonly<Record<string, string>>;

export function parseRequestUrl(url: string | URL): URL {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch (cause) {
    throw new AppError('oauth1_invalid_url', 'The request URL is not an absolute URL.', {
      hint: 'Use a full URL such as https://jira.example.com/rest/api/2/myself.',
      cause,
    });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new AppError(
      'oauth1_invalid_url',
      `OAuth 1.0a signs http and https URLs only, not ${parsed.protocol}.`,
      {
        hint: 'Use the http:// or https:// URL of Jira.',
      },
    );
  }
  return parsed;
}

/**
 * RFC 5849 3.4.1.2. The WHATWG URL parser already lowercases scheme and host, drops the
 * default port and normalises the path exactly as fetch will send it, so the base string
 * URI matches the request line Jira receives. Userinfo, query and fragment are left out.
 */
export function baseStringUri(url: string | URL): string {
  const parsed = parseRequestUrl(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname || '/'}`;
}

export function formBodyParams(body: FormBody | undefined): Param[] {
  if (body === undefined) return [];
  if (typeof body === 'string') return formDecode(body, 'form body');
  if (body instanceof URLSearchParams) return [...body.entries()];
  if (Array.isArray(body)) return body.map(([name, value]) => [name, value] as Param);
  return Object.entries(body as Record<string, string>);
}

/**
 * RFC 5849 3.4.1.3.1: the query (form-decoded), the OAuth protocol parameters (without
 * realm and oauth_signature) and a form-encoded body, duplicates kept.
 */
export function collectParameters(
  url: string | URL,
  oauthParams: readonly Param[],
  body?: FormBody,
): Param[] {
  const parsed = parseRequestUrl(url);
  // realm is only special in the Authorization header; oauth_signature is excluded wherever
  // it was sent (the query and form transmission methods of RFC 5849 3.5.2 and 3.5.3 too).
  return [
    ...formDecode(parsed.search.replace(/^\?/, ''), 'query of the request URL'),
    ...oauthParams.filter(([name]) => name !== 'realm'),
    ...formBodyParams(body),
  ].filter(([name]) => name !== 'oauth_signature');
}

/**
 * RFC 5849 3.4.1.3.2: encode, sort by name then value in byte order, join. The encoded
 * strings are pure ASCII, so comparing UTF-16 code units is comparing bytes.
 */
export function normalizeParameters(params: readonly Param[]): string {
  const encoded = params.map(([name, value]) => [percentEncode(name), percentEncode(value)] as const);
  encoded.sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return encoded.map(([name, value]) => `${name}=${value}`).join('&');
}

const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** RFC 5849 3.4.1.1. */
export function signatureBaseString(method: string, url: string | URL, params: readonly Param[]): string {
  if (!HTTP_TOKEN.test(method)) {
    throw new AppError('oauth1_invalid_request', 'The HTTP method is not a valid method name.', {
      hint: 'Use GET, POST, PUT, DELETE or another HTTP method token.',
    });
  }
  return [method.toUpperCase(), baseStringUri(url), normalizeParameters(params)].map(percentEncode).join('&');
}
