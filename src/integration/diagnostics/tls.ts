import { request as httpRequest } from 'node:http';
import { connect, type PeerCertificate, rootCertificates, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';

export type TlsFacts = {
  authorized: boolean;
  /** Why the chain did not verify (e.g. CERT_HAS_EXPIRED), when it did not. */
  authorizationError?: string;
  subject?: string;
  issuer?: string;
  validTo?: string;
  daysToExpiry?: number;
};

/** Opens a tunnel through an HTTP proxy (CONNECT) so the TLS check sees what the client sees. */
async function tunnel(proxyUrl: string, host: string, port: number, timeoutMs: number): Promise<Duplex> {
  const proxy = new URL(proxyUrl);
  const headers: Record<string, string> = { host: `${host}:${port}` };
  if (proxy.username || proxy.password) {
    headers['proxy-authorization'] =
      `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`;
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: proxy.hostname,
      port: Number(proxy.port || 80),
      method: 'CONNECT',
      path: `${host}:${port}`,
      headers,
      timeout: timeoutMs,
    });
    req.once('connect', (res, socket) => {
      if (res.statusCode === 200) resolve(socket);
      else {
        socket.destroy();
        reject(new Error(`the proxy answered CONNECT with HTTP ${res.statusCode}`));
      }
    });
    req.once('timeout', () => req.destroy(new Error('the proxy did not answer in time')));
    req.once('error', reject);
    req.end();
  });
}

/**
 * Reads the server certificate and whether it verifies against the system roots plus the
 * instance's CA. Verification is judged here, not enforced, so an expired or unknown
 * certificate is reported with its facts instead of a bare handshake error.
 */
export async function inspectTls(options: {
  host: string;
  port: number;
  caPem?: string;
  proxyUrl?: string;
  timeoutMs?: number;
  now?: number;
}): Promise<TlsFacts> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const socket = options.proxyUrl
    ? await tunnel(options.proxyUrl, options.host, options.port, timeoutMs)
    : undefined;
  const tls: TLSSocket = await new Promise((resolve, reject) => {
    const s = connect({
      host: options.host,
      port: options.port,
      servername: /^[\d.]+$|:/.test(options.host) ? undefined : options.host,
      rejectUnauthorized: false,
      ...(options.caPem ? { ca: [...rootCertificates, options.caPem] } : {}),
      ...(socket ? { socket } : {}),
      timeout: timeoutMs,
    });
    s.once('secureConnect', () => resolve(s));
    s.once('timeout', () => s.destroy(new Error('the TLS handshake timed out')));
    s.once('error', reject);
  });
  try {
    const cert: PeerCertificate = tls.getPeerCertificate();
    const validTo = cert?.valid_to ? new Date(cert.valid_to) : undefined;
    const now = options.now ?? Date.now();
    const error = tls.authorizationError ? String(tls.authorizationError) : undefined;
    return {
      authorized: tls.authorized,
      ...(error ? { authorizationError: (tls.authorizationError as { code?: string })?.code ?? error } : {}),
      ...(cert?.subject?.CN ? { subject: String(cert.subject.CN) } : {}),
      ...(cert?.issuer?.CN ? { issuer: String(cert.issuer.CN) } : {}),
      ...(validTo && !Number.isNaN(validTo.getTime())
        ? {
            validTo: validTo.toISOString(),
            daysToExpiry: Math.floor((validTo.getTime() - now) / 86_400_000),
          }
        : {}),
    };
  } finally {
    tls.destroy();
  }
}
