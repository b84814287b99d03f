import { generateKeyPair as generateRsa, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { selfSignedCertificate } from './certificate.js';
import { KEY_ERROR, keyError } from './errors.js';
import { type Fingerprint, fingerprint } from './fingerprint.js';
import { publicKeyBody, toPkcs8Pem, toSpkiPem, WEAK_RSA_BITS } from './read.js';

export const ALLOWED_BITS = [1024, 2048, 3072, 4096] as const;
export const DEFAULT_BITS = 2048;
export const DEFAULT_COMMON_NAME = 'Testbridge OAuth consumer';
export const CERTIFICATE_DAYS = 365;

export interface GenerateOptions {
  bits?: number;
  commonName?: string;
  days?: number;
  /** Start of the certificate's validity; injectable so tests are deterministic. */
  now?: Date;
}

export interface GeneratedKeyPair {
  bits: number;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** PKCS#8, what the seed calls jira_privatekey.pcks8. */
  privateKeyPem: string;
  /** SPKI, jira_publickey.pem. */
  publicKeyPem: string;
  /** Self-signed X.509, jira_publickey.cer. */
  certificatePem: string;
  /** The text to paste into Jira's application link: base64 without BEGIN/END lines. */
  publicKeyBody: string;
  fingerprint: Fingerprint;
  warnings: string[];
}

const generateRsaAsync = promisify(generateRsa);

export function checkBits(bits: number): { warnings: string[] } {
  if (!(ALLOWED_BITS as readonly number[]).includes(bits)) {
    throw keyError(
      KEY_ERROR.bitsInvalid,
      `${String(bits)} is not a supported RSA key size.`,
      `Use ${DEFAULT_BITS} (the default) or 4096; ${ALLOWED_BITS.join(', ')} are accepted.`,
    );
  }
  return {
    warnings:
      bits < WEAK_RSA_BITS
        ? [
            `A ${bits}-bit RSA key is weak; Jira accepts ${DEFAULT_BITS} bits, use that unless you must match an old setup.`,
          ]
        : [],
  };
}

/**
 * Replaces the seed's four openssl commands: an RSA pair, the private key as PKCS#8, the
 * public key as SPKI, a self-signed certificate, and the body Jira's dialog wants.
 * Asynchronous because a 4096-bit key takes seconds and must not block the server.
 */
export async function generateKeyPair(options: GenerateOptions = {}): Promise<GeneratedKeyPair> {
  const bits = options.bits ?? DEFAULT_BITS;
  const { warnings } = checkBits(bits);
  const commonName = options.commonName ?? DEFAULT_COMMON_NAME;
  // RFC 5280's upper bound for a common name; longer names make other tools reject the certificate.
  if (commonName.trim() === '' || commonName.length > 64) {
    throw keyError(
      KEY_ERROR.commonNameInvalid,
      'The certificate name must have 1 to 64 characters.',
      `Use a short name such as "${DEFAULT_COMMON_NAME}".`,
    );
  }
  const { privateKey, publicKey } = await generateRsaAsync('rsa', {
    modulusLength: bits,
    publicExponent: 65537,
  });
  const certificate = selfSignedCertificate({
    privateKey,
    commonName,
    notBefore: options.now ?? new Date(),
    days: options.days ?? CERTIFICATE_DAYS,
  });
  return {
    bits,
    privateKey,
    publicKey,
    privateKeyPem: toPkcs8Pem(privateKey),
    publicKeyPem: toSpkiPem(publicKey),
    certificatePem: certificate.pem,
    publicKeyBody: publicKeyBody(publicKey),
    fingerprint: fingerprint(publicKey),
    warnings,
  };
}
