import { generateKeyPairSync, type KeyObject, X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { selfSignedCertificate } from './certificate.js';
import { KEY_ERROR } from './errors.js';
import { fingerprint } from './fingerprint.js';
import { assertKeysMatch, keysMatch, publicKeyBody, readPrivateKey, readPublicKey } from './read.js';

function rsa(bits: number) {
  return generateKeyPairSync('rsa', { modulusLength: bits });
}

function expectKeyError(run: () => unknown, code: string): AppError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    const appError = err as AppError;
    expect(appError.code).toBe(code);
    expect(appError.hint).toBeTruthy();
    expect(appError.status).toBe(400);
    return appError;
  }
  throw new Error(`expected ${code}, but nothing was thrown`);
}

/** The base64 body of a PEM without BEGIN/END lines and newlines, as pasted from the seed's step. */
const bodyOf = (pem: string) => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');

let privateKey: KeyObject;
let publicKey: KeyObject;
let pkcs8: string;
let pkcs1: string;
let spki: string;
let pkcs1Public: string;
let certificate: string;

beforeAll(() => {
  ({ privateKey, publicKey } = rsa(2048));
  pkcs8 = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  pkcs1 = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  spki = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  pkcs1Public = publicKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  certificate = selfSignedCertificate({
    privateKey,
    commonName: 'Testbridge test',
    notBefore: new Date(),
    days: 365,
  }).pem;
});

describe('readPrivateKey accepts what copy and paste produces', () => {
  it('reads PKCS#8 and PKCS#1 PEM with the same fingerprint', () => {
    const a = readPrivateKey(pkcs8);
    const b = readPrivateKey(pkcs1);
    expect(a.format).toBe('pkcs8');
    expect(b.format).toBe('pkcs1');
    expect(a.bits).toBe(2048);
    expect(a.fingerprint).toEqual(fingerprint(publicKey));
    expect(b.fingerprint).toEqual(a.fingerprint);
    expect(a.warnings).toEqual([]);
  });

  it.each([
    ['body only, no BEGIN/END lines', (pem: string) => bodyOf(pem)],
    ['body lines without BEGIN/END', (pem: string) => pem.split('\n').slice(1, -2).join('\n')],
    ['CRLF line ends', (pem: string) => pem.replace(/\n/g, '\r\n')],
    ['escaped \\n as in JSON', (pem: string) => pem.replace(/\n/g, '\\n')],
    ['surrounding quotes and blanks', (pem: string) => `  \n"${pem.trim()}"\n\t `],
    ['spaces and tabs inside the body', (pem: string) => pem.replace(/([A-Za-z0-9+/]{10})/g, '$1 \t')],
    ['all on one line, newlines turned into spaces', (pem: string) => pem.replace(/\n/g, ' ')],
    ['leading and trailing blank lines', (pem: string) => `\n\n\n${pem}\n\n`],
    ['only the BEGIN line kept', (pem: string) => pem.replace(/-----END[^\n]+\n?/, '')],
    ['only the END line kept', (pem: string) => pem.replace(/-----BEGIN[^\n]+\n/, '')],
    ['lower-case markers', (pem: string) => pem.replace(/PRIVATE KEY/g, 'private key')],
    ['a BOM and non-breaking spaces', (pem: string) => `\ufeff${pem.replace(/\n/g, '\u00a0\n')}`],
    ['URL-safe base64', (pem: string) => bodyOf(pem).replace(/\+/g, '-').replace(/\//g, '_')],
    ['padding removed', (pem: string) => bodyOf(pem).replace(/=+$/, '')],
  ])('%s', (_name, mangle) => {
    for (const pem of [pkcs8, pkcs1]) {
      expect(readPrivateKey(mangle(pem)).fingerprint).toEqual(fingerprint(publicKey));
    }
  });

  it('survives any whitespace mangling (property)', () => {
    const blanks = fc.constantFrom(' ', '\t', '\n', '\r\n', '\\n', '  ', '\u00a0');
    const body = bodyOf(pkcs8);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(body.length), blanks), { maxLength: 30 }),
        blanks,
        (cuts, edge) => {
          let text = body;
          for (const [at, blank] of [...cuts].sort((x, y) => y[0] - x[0]))
            text = text.slice(0, at) + blank + text.slice(at);
          expect(readPrivateKey(`${edge}${text}${edge}`).fingerprint.sha256).toBe(
            fingerprint(publicKey).sha256,
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('warns about 1024-bit keys but accepts them', () => {
    const weak = rsa(1024).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const info = readPrivateKey(weak);
    expect(info.bits).toBe(1024);
    expect(info.warnings.join(' ')).toMatch(/1024 bits.*weak/);
  });
});

describe('readPrivateKey rejects each wrong paste with its own error', () => {
  it('empty input', () => {
    for (const text of ['', '   \n\t ', '-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----']) {
      expectKeyError(() => readPrivateKey(text), KEY_ERROR.empty);
    }
  });

  it('a public key or certificate pasted as the private key', () => {
    for (const text of [spki, bodyOf(spki), pkcs1Public, certificate, bodyOf(certificate)]) {
      const err = expectKeyError(() => readPrivateKey(text), KEY_ERROR.publicNotPrivate);
      expect(err.hint).toMatch(/private key/);
    }
  });

  it('an encrypted private key, PKCS#8 or legacy PEM', () => {
    const encrypted8 = privateKey
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' })
      .toString();
    const encrypted1 = privateKey
      .export({ type: 'pkcs1', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'secret' })
      .toString();
    expect(encrypted1).toMatch(/Proc-Type: 4,ENCRYPTED/);
    for (const text of [encrypted8, bodyOf(encrypted8), encrypted1, encrypted1.replace(/\n/g, ' ')]) {
      const err = expectKeyError(() => readPrivateKey(text), KEY_ERROR.encrypted);
      expect(err.hint).toMatch(/-nocrypt/);
    }
  });

  it('a truncated body', () => {
    const body = bodyOf(pkcs8);
    for (const cut of [body.length - 40, Math.floor(body.length / 2), 100]) {
      expectKeyError(() => readPrivateKey(body.slice(0, cut)), KEY_ERROR.truncated);
      expectKeyError(
        () => readPrivateKey(`-----BEGIN PRIVATE KEY-----\n${body.slice(0, cut)}\n-----END PRIVATE KEY-----`),
        KEY_ERROR.truncated,
      );
    }
  });

  it('a corrupt body', () => {
    const body = bodyOf(pkcs8);
    // A changed byte inside the key structure: the base64 still decodes but the DER does not.
    const flipped = `${body.slice(0, 4)}${body[4] === 'A' ? 'B' : 'A'}${body.slice(5)}`;
    expectKeyError(() => readPrivateKey(flipped), KEY_ERROR.corrupt);
    expectKeyError(
      () =>
        readPrivateKey(
          `-----BEGIN PRIVATE KEY-----\n${body.slice(0, 50)}#${body.slice(51)}\n-----END PRIVATE KEY-----`,
        ),
      KEY_ERROR.corrupt,
    );
    expectKeyError(() => readPrivateKey(`${body}AAAA`), KEY_ERROR.corrupt);
  });

  it('text that is not a key at all', () => {
    for (const text of ['hello world', 'SGVsbG8gd29ybGQh', 'https://jira.example.com']) {
      const err = expectKeyError(() => readPrivateKey(text), KEY_ERROR.unreadable);
      expect(err.message).not.toContain(text);
    }
  });

  it('a non-RSA key', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const err = expectKeyError(
      () => readPrivateKey(ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
      KEY_ERROR.notRsa,
    );
    expect(err.message).toMatch(/EC key/);
    const ed = generateKeyPairSync('ed25519');
    expectKeyError(
      () => readPublicKey(ed.publicKey.export({ type: 'spki', format: 'pem' }).toString()),
      KEY_ERROR.notRsa,
    );
  });

  it('a key under 1024 bits', () => {
    const small = rsa(512);
    const err = expectKeyError(
      () => readPrivateKey(small.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
      KEY_ERROR.tooSmall,
    );
    expect(err.message).toMatch(/512 bits/);
    expectKeyError(
      () => readPublicKey(small.publicKey.export({ type: 'spki', format: 'pem' }).toString()),
      KEY_ERROR.tooSmall,
    );
  });

  it('two keys pasted together', () => {
    expectKeyError(() => readPrivateKey(`${pkcs8}\n${pkcs8}`), KEY_ERROR.multiple);
    expectKeyError(() => readPrivateKey(`${pkcs8}${certificate}`), KEY_ERROR.multiple);
    expectKeyError(() => readPrivateKey(`${bodyOf(pkcs8)}${bodyOf(spki)}`), KEY_ERROR.multiple);
    expectKeyError(() => readPublicKey(`${spki}${spki}`), KEY_ERROR.multiple);
  });

  it('foreign key formats', () => {
    expectKeyError(
      () =>
        readPrivateKey(
          '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----',
        ),
      KEY_ERROR.unsupportedFormat,
    );
    expectKeyError(
      () => readPublicKey('ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC user@host'),
      KEY_ERROR.unsupportedFormat,
    );
    expectKeyError(
      () => readPrivateKey('PuTTY-User-Key-File-3: ssh-rsa\nEncryption: none'),
      KEY_ERROR.unsupportedFormat,
    );
  });

  it('never echoes key material in message or hint', () => {
    const body = bodyOf(pkcs8);
    const attempts = [
      () => readPublicKey(pkcs8),
      () => readPrivateKey(body.slice(0, 300)),
      () => readPrivateKey(`${body.slice(0, 200)}!${body.slice(200)}`),
      () => readPrivateKey(`${pkcs8}${pkcs8}`),
    ];
    for (const attempt of attempts) {
      try {
        attempt();
        throw new Error('expected an error');
      } catch (err) {
        const appError = err as AppError;
        expect(appError).toBeInstanceOf(AppError);
        const text = `${appError.message} ${appError.hint}`;
        for (let i = 64; i + 16 < body.length; i += 97) expect(text).not.toContain(body.slice(i, i + 16));
      }
    }
  });
});

describe('readPublicKey', () => {
  it('reads SPKI, PKCS#1 and certificates, with and without BEGIN/END lines', () => {
    const expected = fingerprint(publicKey);
    for (const text of [
      spki,
      pkcs1Public,
      certificate,
      bodyOf(spki),
      bodyOf(pkcs1Public),
      bodyOf(certificate),
    ]) {
      expect(readPublicKey(text).fingerprint).toEqual(expected);
    }
    expect(readPublicKey(spki).format).toBe('spki');
    expect(readPublicKey(pkcs1Public).format).toBe('pkcs1');
    const cert = readPublicKey(certificate);
    expect(cert.format).toBe('certificate');
    expect(cert.certificate?.subject).toBe('CN=Testbridge test');
  });

  it('reads the body Jira wants back', () => {
    expect(readPublicKey(publicKeyBody(privateKey)).fingerprint).toEqual(fingerprint(publicKey));
    expect(publicKeyBody(publicKey)).toBe(bodyOf(spki));
    expect(publicKeyBody(publicKey)).not.toMatch(/\s|-----/);
  });

  it('rejects a private key pasted as the public key', () => {
    for (const text of [pkcs8, pkcs1, bodyOf(pkcs8)]) {
      const err = expectKeyError(() => readPublicKey(text), KEY_ERROR.privateNotPublic);
      expect(err.hint).toMatch(/Never paste the private key into Jira/);
    }
  });
});

describe('key pairs and fingerprints', () => {
  it('matches the halves of one pair and rejects others', () => {
    const other = rsa(1024);
    expect(keysMatch(privateKey, publicKey)).toBe(true);
    expect(keysMatch(privateKey, new X509Certificate(certificate).publicKey)).toBe(true);
    expect(keysMatch(privateKey, other.publicKey)).toBe(false);
    expect(() => assertKeysMatch(privateKey, publicKey)).not.toThrow();
    const err = expectKeyError(() => assertKeysMatch(privateKey, other.publicKey), KEY_ERROR.mismatch);
    expect(err.message).toContain(fingerprint(publicKey).sha256);
    expect(err.message).toContain(fingerprint(other.publicKey).sha256);
  });

  it('formats the fingerprint as SHA256:base64 and colon hex of the same digest', () => {
    const fp = fingerprint(publicKey);
    expect(fp.sha256).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(fp.hex).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const fromHex = Buffer.from(fp.hex.replace(/:/g, ''), 'hex').toString('base64').replace(/=+$/, '');
    expect(fp.sha256).toBe(`SHA256:${fromHex}`);
    expect(fingerprint(privateKey)).toEqual(fp);
    expect(fingerprint(rsa(1024).publicKey).sha256).not.toBe(fp.sha256);
  });
});
