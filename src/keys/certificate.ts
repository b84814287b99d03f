import { createHash, createPublicKey, type KeyObject, randomBytes, sign } from 'node:crypto';
import * as der from './der.js';

const OID = {
  sha256WithRsaEncryption: '1.2.840.113549.1.1.11',
  commonName: '2.5.4.3',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  subjectKeyIdentifier: '2.5.29.14',
} as const;

export interface SelfSignedOptions {
  privateKey: KeyObject;
  commonName: string;
  notBefore: Date;
  days: number;
  /** Positive, at most 20 bytes (RFC 5280 4.1.2.2); random when omitted. */
  serial?: Uint8Array;
}

const name = (commonName: string) =>
  der.sequence(der.set(der.sequence(der.oid(OID.commonName), der.utf8String(commonName))));

const extension = (oid: string, critical: boolean, value: Uint8Array) =>
  der.sequence(der.oid(oid), ...(critical ? [der.boolean(true)] : []), der.octetString(value));

/**
 * A self-signed X.509 v3 certificate for the key pair, the equivalent of the seed's
 * `openssl req -x509 -days 365`: some Jira versions and admins want a .cer next to the
 * .pem. It carries basicConstraints CA:FALSE and keyUsage digitalSignature because the
 * key only ever signs OAuth requests.
 */
export function selfSignedCertificate(options: SelfSignedOptions): { der: Buffer; pem: string } {
  const publicKey = createPublicKey(options.privateKey);
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const serial = Buffer.from(options.serial ?? randomBytes(16));
  serial[0] = (serial[0]! & 0x7f) | 0x01; // positive and never zero
  const notAfter = new Date(options.notBefore.getTime() + options.days * 86_400_000);
  const signatureAlgorithm = der.sequence(der.oid(OID.sha256WithRsaEncryption), der.nullValue());
  const spkiNode = der.readHeader(spki, 0);
  const spkiParts = spkiNode.ok ? der.children(spki, spkiNode.node) : undefined;
  const keyBits = spkiParts?.[1];
  if (!keyBits) throw new Error('node:crypto returned an unreadable SPKI');
  // RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING value.
  const keyId = createHash('sha1')
    .update(spki.subarray(keyBits.start + 1, keyBits.end))
    .digest();

  const tbs = der.sequence(
    der.explicit(0, der.smallInteger(2)), // v3
    der.unsignedInteger(serial),
    signatureAlgorithm,
    name(options.commonName),
    der.sequence(der.time(options.notBefore), der.time(notAfter)),
    name(options.commonName),
    spki,
    der.explicit(
      3,
      der.sequence(
        extension(OID.basicConstraints, true, der.sequence()),
        extension(OID.keyUsage, true, Buffer.from([0x03, 0x02, 0x07, 0x80])),
        extension(OID.subjectKeyIdentifier, false, der.octetString(keyId)),
      ),
    ),
  );
  const signature = sign('sha256', tbs, options.privateKey);
  const certificate = der.sequence(tbs, signatureAlgorithm, der.bitString(signature));
  return { der: certificate, pem: toPem('CERTIFICATE', certificate) };
}

export function toPem(label: string, body: Uint8Array): string {
  const base64 = Buffer.from(body).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
