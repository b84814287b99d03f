import { type KeyObject, X509Certificate, createPublicKey } from 'node:crypto';

export type ParsedPublicKey = {
  key: KeyObject /** Bare base64 of the SPKI DER, as Jira stores it. */;
  body: string;
};

export class PublicKeyError extends Error {}

/**
 * Jira's Public Key box wants the bare base64 body of jira_publickey.pem, but people paste the
 * whole file, a certificate, or (dangerously) the private key. Accept the harmless forms,
 * refuse the rest with a message that never repeats what was pasted.
 */
export function parseRsaPublicKey(text: string): ParsedPublicKey {
  const trimmed = text.trim();
  if (trimmed === '')
    throw new PublicKeyError('The public key is empty. Paste the contents of jira_publickey.pem.');
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(trimmed)) {
    throw new PublicKeyError(
      'This is a private key. Paste the public key (jira_publickey.pem) instead, and keep the private key secret.',
    );
  }
  let key: KeyObject;
  try {
    if (trimmed.includes('-----BEGIN CERTIFICATE-----')) {
      key = new X509Certificate(trimmed).publicKey;
    } else if (trimmed.includes('-----BEGIN')) {
      key = createPublicKey(trimmed);
    } else {
      const body = trimmed.replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) throw new PublicKeyError('not base64');
      const der = Buffer.from(body, 'base64');
      try {
        key = createPublicKey({ key: der, format: 'der', type: 'spki' });
      } catch {
        key = createPublicKey({ key: der, format: 'der', type: 'pkcs1' });
      }
    }
  } catch {
    throw new PublicKeyError(
      'The public key could not be read. Paste the PEM public key (with or without its BEGIN/END PUBLIC KEY lines).',
    );
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new PublicKeyError(
      'The public key is not an RSA key. Jira application links need an RSA key (RSA-SHA1).',
    );
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < 1024) throw new PublicKeyError(`The RSA key has ${bits} bits; use a key of at least 1024 bits.`);
  const body = (key.export({ format: 'der', type: 'spki' }) as Buffer).toString('base64');
  return { key, body };
}
