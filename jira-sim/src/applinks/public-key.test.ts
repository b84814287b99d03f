import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PublicKeyError, parseRsaPublicKey } from './public-key.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
const spkiPem = rsa.publicKey.export({ format: 'pem', type: 'spki' }).toString();
const body = spkiPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');

describe('parseRsaPublicKey', () => {
  it('accepts the bare body, the PEM, a PKCS#1 PEM and stray whitespace, all to the same key', () => {
    const pkcs1 = rsa.publicKey.export({ format: 'pem', type: 'pkcs1' }).toString();
    for (const text of [body, spkiPem, pkcs1, `  ${body.match(/.{1,64}/g)!.join('\n')}\n`]) {
      expect(parseRsaPublicKey(text).body).toBe(body);
    }
  });

  it('refuses private keys, EC keys, short keys and garbage with a PublicKeyError that does not echo the input', () => {
    const privatePem = rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .publicKey.export({ format: 'pem', type: 'spki' })
      .toString();
    const short = generateKeyPairSync('rsa', { modulusLength: 512 })
      .publicKey.export({ format: 'pem', type: 'spki' })
      .toString();
    const cases: [string, RegExp][] = [
      [privatePem, /private key/],
      [ec, /not an RSA key/],
      [short, /512 bits/],
      ['', /empty/],
      ['-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', /could not be read/],
    ];
    for (const [text, message] of cases) {
      let error: unknown;
      try {
        parseRsaPublicKey(text);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(PublicKeyError);
      expect((error as Error).message).toMatch(message);
      if (text.length > 40) expect((error as Error).message).not.toContain(text.split('\n')[1]!.slice(0, 20));
    }
  });

  it('never throws anything but PublicKeyError, whatever is pasted', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.base64String(),
          fc.string().map((s) => `-----BEGIN PUBLIC KEY-----\n${s}\n-----END PUBLIC KEY-----`),
        ),
        (text) => {
          try {
            parseRsaPublicKey(text);
          } catch (error) {
            expect(error).toBeInstanceOf(PublicKeyError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
