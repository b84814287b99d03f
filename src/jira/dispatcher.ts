import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { Agent, type Dispatcher, ProxyAgent } from 'undici';
import { AppError } from '../errors.js';

export type TlsOptions = {
  /** Extra trusted CA certificate(s), PEM; added to the system roots, not replacing them. */
  caPem?: string;
  /** Certificate verification is on unless this is explicitly false. */
  rejectUnauthorized?: boolean;
};

export type ConnectionNetworkOptions = {
  /** Outbound HTTP(S) proxy, e.g. http://proxy.corp:3128 (may carry user:password). */
  proxyUrl?: string;
  tls?: TlsOptions;
};

/** host[:port] of a URL without any credentials: safe to show in messages and logs. */
export function safeHost(url: string | URL): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid URL)';
  }
}

function checkCaPem(caPem: string): string {
  const blocks = caPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!blocks) {
    throw new AppError('jira_tls_ca_invalid', 'The CA certificate is not a PEM certificate.', {
      hint: 'Paste the CA certificate including the "-----BEGIN CERTIFICATE-----" and "-----END CERTIFICATE-----" lines.',
      status: 400,
    });
  }
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      throw new AppError('jira_tls_ca_invalid', 'The CA certificate could not be read.', {
        hint: 'Paste the PEM text of the CA certificate exactly as exported (no extra characters inside the block).',
        status: 400,
      });
    }
  }
  return blocks.join('\n');
}

/**
 * Builds the undici dispatcher for a connection, or undefined when the defaults (system
 * CAs, no proxy) are enough. Node's global fetch accepts it as `dispatcher`.
 */
export function createDispatcher(options: ConnectionNetworkOptions): Dispatcher | undefined {
  const tls = options.tls ?? {};
  const connect: { ca?: string[]; rejectUnauthorized?: boolean } = {};
  if (tls.caPem?.trim()) {
    // `ca` replaces Node's roots; keep them so public certificates still verify.
    connect.ca = [...rootCertificates, checkCaPem(tls.caPem)];
  }
  if (tls.rejectUnauthorized === false) connect.rejectUnauthorized = false;
  const hasTls = Object.keys(connect).length > 0;

  if (options.proxyUrl?.trim()) {
    let proxy: URL;
    try {
      proxy = new URL(options.proxyUrl.trim());
    } catch {
      throw new AppError('jira_proxy_invalid', 'The proxy URL is not a valid URL.', {
        hint: 'Use the form http://proxy.example.com:3128 (optionally http://user:password@host:port).',
        status: 400,
      });
    }
    if (proxy.protocol !== 'http:' && proxy.protocol !== 'https:') {
      throw new AppError('jira_proxy_invalid', `The proxy URL scheme ${proxy.protocol} is not supported.`, {
        hint: 'Use an http:// or https:// proxy URL.',
        status: 400,
      });
    }
    const token =
      proxy.username || proxy.password
        ? `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`
        : undefined;
    proxy.username = '';
    proxy.password = '';
    return new ProxyAgent({
      uri: proxy.toString(),
      ...(token ? { token } : {}),
      ...(hasTls ? { requestTls: connect } : {}),
    });
  }
  return hasTls ? new Agent({ connect }) : undefined;
}

/**
 * A fetch that goes through the connection's proxy and TLS settings, for the calls made
 * outside the Jira client (OAuth 2.0 token requests, OAuth 1.0a token dance). Close the
 * returned dispatcher when the connection is dropped.
 */
export function networkFetch(options: ConnectionNetworkOptions): {
  fetch: (input: string | URL, init?: RequestInit) => Promise<Response>;
  dispatcher: Dispatcher | undefined;
} {
  const dispatcher = createDispatcher(options);
  if (!dispatcher) return { fetch: (input, init) => globalThis.fetch(input, init), dispatcher };
  return {
    fetch: (input, init) => globalThis.fetch(input, { ...init, dispatcher } as RequestInit),
    dispatcher,
  };
}
