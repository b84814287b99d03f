import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

export interface Fingerprint {
  /** OpenSSH style: `SHA256:` and unpadded base64 of SHA-256 over the SPKI DER. */
  sha256: string;
  /** The same digest as uppercase colon-separated hex, as certificate viewers show it. */
  hex: string;
}

/**
 * Identifies a key pair without showing key material: the UI shows this instead of the
 * key, and both halves of a pair give the same value.
 */
export function fingerprint(key: KeyObject): Fingerprint {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const digest = createHash('sha256').update(spki).digest();
  return {
    sha256: `SHA256:${digest.toString('base64').replace(/=+$/, '')}`,
    hex: [...digest].map((byte) => byte.toString(16).padStart(2, '0').toUpperCase()).join(':'),
  };
}
