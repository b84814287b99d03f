import { createPrivateKey, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { type AppError, isAppError } from '../errors.js';
import { children, type DerNode, readHeader, TAG } from './der.js';
import { KEY_ERROR, type KeyRole, keyError, roleLabel } from './errors.js';
import { type Fingerprint, fingerprint } from './fingerprint.js';

/** Below this Jira and OpenSSL refuse the key anyway; 1024 itself still works but is weak. */
export const MIN_RSA_BITS = 1024;
export const WEAK_RSA_BITS = 2048;

export interface PrivateKeyInfo {
  key: KeyObject;
  publicKey: KeyObject;
  bits: number;
  /** What was pasted; the key itself is always re-exported as PKCS#8. */
  format: 'pkcs8' | 'pkcs1';
  fingerprint: Fingerprint;
  warnings: string[];
}

export interface PublicKeyInfo {
  key: KeyObject;
  bits: number;
  format: 'spki' | 'pkcs1' | 'certificate';
  fingerprint: Fingerprint;
  warnings: string[];
  certificate?: { subject: string; validFrom: string; validTo: string };
}

type Material =
  | { kind: 'private'; format: 'pkcs8' | 'pkcs1'; key: KeyObject }
  | { kind: 'public'; format: 'spki' | 'pkcs1'; key: KeyObject }
  | { kind: 'certificate'; key: KeyObject; certificate: X509Certificate };

const PASTE_HINT = {
  private:
    'Paste the whole content of jira_privatekey.pcks8 (or a PKCS#1 "RSA PRIVATE KEY" file), ' +
    'with or without its BEGIN/END lines, or generate a new key pair with `testbridge keys generate`.',
  public:
    'Paste the whole content of jira_publickey.pem (or the certificate jira_publickey.cer), ' +
    'with or without its BEGIN/END lines.',
} as const;

// ---- text -> DER ------------------------------------------------------------------

interface PemBlock {
  label: string | undefined;
  body: string;
}

const BEGIN = /-{2,}\s*BEGIN ([A-Z0-9 ]+?)\s*-{2,}/gi;
const END = /-{2,}\s*END ([A-Z0-9 ]+?)\s*-{2,}/gi;

/**
 * Undoes what copy and paste does to a key: JSON/shell escaped newlines, CRLF, tabs,
 * surrounding quotes or blanks, markers glued to the body when newlines were lost.
 */
function unescapePaste(text: string): string {
  let out = text.replace(/^\uFEFF/, '').trim();
  const quote = out[0];
  if ((quote === '"' || quote === "'") && out.length > 1 && out.endsWith(quote))
    out = out.slice(1, -1).trim();
  // Base64 never contains a backslash, so these sequences can only be escaped newlines.
  return out.replace(/\\r\\n|\\n|\\r|\\t/g, '\n');
}

function extractBlock(text: string, role: KeyRole): PemBlock {
  const begins = [...text.matchAll(BEGIN)];
  const ends = [...text.matchAll(END)];
  if (begins.length > 1 || ends.length > 1) {
    throw keyError(
      KEY_ERROR.multiple,
      `The pasted text contains ${Math.max(begins.length, ends.length)} PEM blocks; expected one ${roleLabel(role)}.`,
      `Paste only the ${roleLabel(role)}: one BEGIN/END block. ${PASTE_HINT[role]}`,
    );
  }
  const begin = begins[0];
  const end = ends[0];
  if (begin && end && (end.index ?? 0) < (begin.index ?? 0)) {
    throw keyError(
      KEY_ERROR.corrupt,
      'The pasted text has its END line before its BEGIN line.',
      PASTE_HINT[role],
    );
  }
  const from = begin ? (begin.index ?? 0) + begin[0].length : 0;
  const to = end ? (end.index ?? text.length) : text.length;
  const label = (begin?.[1] ?? end?.[1])?.toUpperCase().replace(/\s+/g, ' ');
  return { label, body: text.slice(from, to) };
}

function rejectForeignFormats(text: string, label: string | undefined, role: KeyRole): void {
  if (label === 'OPENSSH PRIVATE KEY' || /^(ssh-rsa|ssh-ed25519|ecdsa-sha2-\S+) AAAA/.test(text)) {
    throw keyError(
      KEY_ERROR.unsupportedFormat,
      'This is an OpenSSH key, not a PEM key.',
      role === 'private'
        ? 'Convert it with `ssh-keygen -p -m PKCS8 -f FILE` (on a copy), or generate a new pair with `testbridge keys generate`.'
        : 'Use the public key in PEM form: `ssh-keygen -e -m PKCS8 -f FILE`, or the jira_publickey.pem from `testbridge keys generate`.',
    );
  }
  if (text.startsWith('PuTTY-User-Key-File')) {
    throw keyError(
      KEY_ERROR.unsupportedFormat,
      'This is a PuTTY key (.ppk), not a PEM key.',
      'Export it from PuTTYgen with Conversions > Export OpenSSH key, or generate a new pair with `testbridge keys generate`.',
    );
  }
  if (label === 'CERTIFICATE REQUEST' || label === 'NEW CERTIFICATE REQUEST') {
    throw keyError(
      KEY_ERROR.unsupportedFormat,
      'This is a certificate signing request, not a key.',
      PASTE_HINT[role],
    );
  }
  if (label === 'ENCRYPTED PRIVATE KEY') throw encryptedError();
}

function encryptedError(): AppError {
  return keyError(
    KEY_ERROR.encrypted,
    'The private key is encrypted with a passphrase.',
    'Testbridge needs the key unencrypted (it encrypts it in its own vault). Decrypt a copy with ' +
      '`openssl pkcs8 -topk8 -nocrypt -in KEY -out jira_privatekey.pcks8` and paste that.',
  );
}

function decodeBody(block: PemBlock, role: KeyRole): Buffer {
  let body = block.body;
  // RFC 1421 headers of a legacy encrypted PEM ("Proc-Type: 4,ENCRYPTED", "DEK-Info: ...").
  if (/Proc-Type:\s*4\s*,\s*ENCRYPTED/i.test(body)) throw encryptedError();
  if (block.label) body = body.replace(/^[ \t]*[A-Za-z-]+:[^\n]*$/gm, '');
  // Every kind of blank a browser, editor or chat tool may leave in a pasted key (\s covers
  // NBSP, BOM and the Unicode line separators; zero-width characters are added).
  body = body.replace(/(?:\s|\u200b|\u200c|\u200d)+/g, '');
  if (body === '') {
    throw keyError(KEY_ERROR.empty, `No ${roleLabel(role)} was pasted.`, PASTE_HINT[role]);
  }
  // URL-safe base64 appears when a key went through a web form; it is the same bytes.
  const standard = body.replace(/-/g, '+').replace(/_/g, '/');
  const bad = standard.match(/[^A-Za-z0-9+/=]/);
  if (bad || /^=|={3,}/.test(standard)) {
    const shown = bad && /^[\x21-\x7e]$/.test(bad[0]) ? ` ('${bad[0]}')` : '';
    throw block.label
      ? keyError(
          KEY_ERROR.corrupt,
          `The ${roleLabel(role)} body contains a character that cannot be in a key${shown}.`,
          `Copy the key again from the file, without extra text. ${PASTE_HINT[role]}`,
        )
      : keyError(
          KEY_ERROR.unreadable,
          `The pasted text is not a ${roleLabel(role)}: it contains a character that cannot be in a key${shown}.`,
          PASTE_HINT[role],
        );
  }
  // Padding in the middle means two base64 bodies were run together; decode each so the
  // DER check below can say "two keys" instead of "corrupt".
  const segments = standard.split(/(?<==)(?=[^=])/);
  const decoded: Buffer[] = [];
  for (const segment of segments) {
    const unpadded = segment.replace(/=+$/, '');
    if (unpadded.length % 4 === 1) throw truncatedError(role);
    decoded.push(Buffer.from(unpadded, 'base64'));
  }
  return Buffer.concat(decoded);
}

function truncatedError(role: KeyRole): AppError {
  return keyError(
    KEY_ERROR.truncated,
    `The ${roleLabel(role)} is incomplete: its body ends before the key does.`,
    `Part of the key was lost when copying. Copy the whole file again. ${PASTE_HINT[role]}`,
  );
}

function corruptError(role: KeyRole): AppError {
  return keyError(
    KEY_ERROR.corrupt,
    `The ${roleLabel(role)} is damaged: its body does not decode to a key.`,
    `Characters were changed or lost when copying. Copy the whole file again. ${PASTE_HINT[role]}`,
  );
}

// ---- DER -> key -------------------------------------------------------------------

const isTag = (node: DerNode | undefined, tag: number) => node !== undefined && node.tag === tag;

function classify(der: Buffer, label: string | undefined, role: KeyRole): Material {
  if (der[0] !== TAG.sequence) {
    throw label
      ? corruptError(role)
      : keyError(KEY_ERROR.unreadable, `The pasted text is not a ${roleLabel(role)}.`, PASTE_HINT[role]);
  }
  const outer = readHeader(der, 0);
  if (!outer.ok) throw outer.reason === 'truncated' ? truncatedError(role) : corruptError(role);
  if (outer.node.next < der.length) {
    const second = readHeader(der, outer.node.next);
    if (second.ok && der[outer.node.next] === TAG.sequence && second.node.next - outer.node.next > 64) {
      throw keyError(
        KEY_ERROR.multiple,
        `The pasted text contains two keys (or a key and a certificate) run together; expected one ${roleLabel(role)}.`,
        `Paste only the ${roleLabel(role)}. ${PASTE_HINT[role]}`,
      );
    }
    throw corruptError(role);
  }
  const parts = children(der, outer.node);
  if (!parts) throw corruptError(role);
  const [a, b, c] = parts;

  try {
    // PrivateKeyInfo / OneAsymmetricKey: version, algorithm, privateKey OCTET STRING.
    if (isTag(a, TAG.integer) && isTag(b, TAG.sequence) && isTag(c, TAG.octetString)) {
      return {
        kind: 'private',
        format: 'pkcs8',
        key: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }),
      };
    }
    // EncryptedPrivateKeyInfo: encryption algorithm, encrypted data.
    if (parts.length === 2 && isTag(a, TAG.sequence) && isTag(b, TAG.octetString)) throw encryptedError();
    // RSAPrivateKey (PKCS#1): version, n, e, d, p, q, dp, dq, qinv.
    if (parts.length >= 9 && parts.every((part) => part.tag === TAG.integer)) {
      return {
        kind: 'private',
        format: 'pkcs1',
        key: createPrivateKey({ key: der, format: 'der', type: 'pkcs1' }),
      };
    }
    // SubjectPublicKeyInfo: algorithm, subjectPublicKey BIT STRING.
    if (parts.length === 2 && isTag(a, TAG.sequence) && isTag(b, TAG.bitString)) {
      return {
        kind: 'public',
        format: 'spki',
        key: createPublicKey({ key: der, format: 'der', type: 'spki' }),
      };
    }
    // RSAPublicKey (PKCS#1): n, e.
    if (parts.length === 2 && isTag(a, TAG.integer) && isTag(b, TAG.integer)) {
      return {
        kind: 'public',
        format: 'pkcs1',
        key: createPublicKey({ key: der, format: 'der', type: 'pkcs1' }),
      };
    }
    // Certificate (or a certification request, which has the same outer shape).
    if (parts.length === 3 && isTag(a, TAG.sequence) && isTag(b, TAG.sequence) && isTag(c, TAG.bitString)) {
      const tbs = children(der, a!);
      if (
        tbs &&
        isTag(tbs[0], TAG.integer) &&
        isTag(tbs[1], TAG.sequence) &&
        isTag(tbs[2], TAG.sequence) &&
        tbs.length === 4
      ) {
        throw keyError(
          KEY_ERROR.unsupportedFormat,
          'This is a certificate signing request, not a key.',
          PASTE_HINT[role],
        );
      }
      const certificate = new X509Certificate(der);
      return { kind: 'certificate', key: certificate.publicKey, certificate };
    }
  } catch (err) {
    if (isAppError(err)) throw err;
    if (err instanceof Error && 'code' in err && err.code === 'ERR_MISSING_PASSPHRASE')
      throw encryptedError();
    throw corruptError(role);
  }
  throw label
    ? corruptError(role)
    : keyError(KEY_ERROR.unreadable, `The pasted text is not a ${roleLabel(role)}.`, PASTE_HINT[role]);
}

function readMaterial(text: string, role: KeyRole): Material {
  if (typeof text !== 'string' || text.trim() === '') {
    throw keyError(KEY_ERROR.empty, `No ${roleLabel(role)} was pasted.`, PASTE_HINT[role]);
  }
  const unescaped = unescapePaste(text);
  const block = extractBlock(unescaped, role);
  rejectForeignFormats(unescaped, block.label, role);
  return classify(decodeBody(block, role), block.label, role);
}

function checkRsa(key: KeyObject, role: KeyRole): { bits: number; warnings: string[] } {
  if (key.asymmetricKeyType !== 'rsa') {
    const type = key.asymmetricKeyType ?? 'unknown';
    throw keyError(
      KEY_ERROR.notRsa,
      `The ${roleLabel(role)} is a${/^[aeiou]/i.test(type) ? 'n' : ''} ${type.toUpperCase()} key; Jira application links need an RSA key.`,
      'Generate an RSA key pair with `testbridge keys generate` (or `openssl genrsa 2048`).',
    );
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) {
    throw keyError(
      KEY_ERROR.tooSmall,
      `The ${roleLabel(role)} has only ${bits} bits; at least ${MIN_RSA_BITS} are required.`,
      'Generate a 2048-bit key pair with `testbridge keys generate` and update the public key in Jira.',
    );
  }
  const warnings =
    bits < WEAK_RSA_BITS
      ? [`The key has ${bits} bits, which is weak today; generate a 2048-bit pair when you can.`]
      : [];
  return { bits, warnings };
}

/**
 * Reads a pasted private key: PKCS#8 or PKCS#1, with or without BEGIN/END lines and
 * whatever copying did to the whitespace. Throws an AppError with a specific code for
 * each way the paste can be wrong.
 */
export function readPrivateKey(text: string): PrivateKeyInfo {
  const material = readMaterial(text, 'private');
  if (material.kind !== 'private') {
    throw keyError(
      KEY_ERROR.publicNotPrivate,
      material.kind === 'certificate'
        ? 'A certificate was pasted where the private key belongs.'
        : 'A public key was pasted where the private key belongs.',
      'Paste the private key (jira_privatekey.pcks8, "BEGIN PRIVATE KEY"); the public key goes into the Jira application link.',
    );
  }
  const { bits, warnings } = checkRsa(material.key, 'private');
  return {
    key: material.key,
    publicKey: createPublicKey(material.key),
    bits,
    format: material.format,
    fingerprint: fingerprint(material.key),
    warnings,
  };
}

/** Reads a pasted public key: SPKI, PKCS#1 "RSA PUBLIC KEY" or an X.509 certificate. */
export function readPublicKey(text: string): PublicKeyInfo {
  const material = readMaterial(text, 'public');
  if (material.kind === 'private') {
    throw keyError(
      KEY_ERROR.privateNotPublic,
      'A private key was pasted where the public key belongs.',
      'Paste the public key (jira_publickey.pem, "BEGIN PUBLIC KEY"). Never paste the private key into Jira: ' +
        'if you did, generate a new pair.',
    );
  }
  const { bits, warnings } = checkRsa(material.key, 'public');
  const info: PublicKeyInfo = {
    key: material.key,
    bits,
    format: material.kind === 'certificate' ? 'certificate' : material.format,
    fingerprint: fingerprint(material.key),
    warnings,
  };
  if (material.kind === 'certificate') {
    info.certificate = {
      subject: material.certificate.subject,
      validFrom: material.certificate.validFrom,
      validTo: material.certificate.validTo,
    };
  }
  return info;
}

/** Whether a private key and a public key are the two halves of one pair. */
export function keysMatch(privateKey: KeyObject, publicKey: KeyObject): boolean {
  const derived = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const given = publicKey.export({ type: 'spki', format: 'der' });
  return derived.equals(given);
}

export function assertKeysMatch(privateKey: KeyObject, publicKey: KeyObject): void {
  if (keysMatch(privateKey, publicKey)) return;
  throw keyError(
    KEY_ERROR.mismatch,
    `The private key (${fingerprint(privateKey).sha256}) and the public key (${fingerprint(publicKey).sha256}) are not a pair.`,
    'Use the public key generated together with this private key (same fingerprint), and make sure the Jira ' +
      'application link has that public key.',
  );
}

/** The private key in the one form we store and hand to signers. */
export const toPkcs8Pem = (key: KeyObject): string => key.export({ type: 'pkcs8', format: 'pem' }).toString();

export const toSpkiPem = (key: KeyObject): string =>
  (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'pem' }).toString();

/** What Jira's application link dialog wants: the SPKI base64 on one line, no BEGIN/END lines. */
export const publicKeyBody = (key: KeyObject): string =>
  (key.type === 'private' ? createPublicKey(key) : key)
    .export({ type: 'spki', format: 'der' })
    .toString('base64');
