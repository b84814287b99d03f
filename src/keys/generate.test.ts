import { createPrivateKey, sign, verify, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import * as der from './der.js';
import { KEY_ERROR } from './errors.js';
import { checkBits, generateKeyPair } from './generate.js';
import { keysMatch, readPrivateKey, readPublicKey } from './read.js';

describe('generateKeyPair', () => {
  it('makes a 2048-bit pair in the seed formats by default', async () => {
    const now = new Date('2026-01-15T10:00:00Z');
    const pair = await generateKeyPair({ now });
    expect(pair.bits).toBe(2048);
    expect(pair.warnings).toEqual([]);
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
    expect(pair.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    expect(pair.certificatePem).toMatch(
      /^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/,
    );
    expect(pair.publicKeyBody).toBe(pair.publicKeyPem.split('\n').slice(1, -2).join(''));

    const privateInfo = readPrivateKey(pair.privateKeyPem);
    const publicInfo = readPublicKey(pair.publicKeyBody);
    expect(privateInfo.fingerprint).toEqual(pair.fingerprint);
    expect(publicInfo.fingerprint).toEqual(pair.fingerprint);
    expect(keysMatch(privateInfo.key, readPublicKey(pair.certificatePem).key)).toBe(true);

    const certificate = new X509Certificate(pair.certificatePem);
    expect(certificate.subject).toBe('CN=Testbridge OAuth consumer');
    expect(certificate.issuer).toBe(certificate.subject);
    expect(certificate.verify(pair.publicKey)).toBe(true);
    expect(new Date(certificate.validFrom).toISOString()).toBe(now.toISOString());
    expect(new Date(certificate.validTo).getTime() - now.getTime()).toBe(365 * 86_400_000);
    expect(certificate.ca).toBe(false);
    expect(certificate.serialNumber).toMatch(/^[0-9A-F]{32}$/);

    const data = Buffer.from('base string');
    expect(
      verify('sha1', data, pair.publicKey, sign('sha1', data, createPrivateKey(pair.privateKeyPem))),
    ).toBe(true);
  });

  it('allows 4096 bits and a custom common name', async () => {
    const pair = await generateKeyPair({ bits: 4096, commonName: 'Testbridge prod — ünïcode' });
    expect(readPrivateKey(pair.privateKeyPem).bits).toBe(4096);
    expect(new X509Certificate(pair.certificatePem).subject).toBe('CN=Testbridge prod — ünïcode');
  });

  it('accepts 1024 bits only with a weakness warning', async () => {
    const pair = await generateKeyPair({ bits: 1024 });
    expect(pair.bits).toBe(1024);
    expect(pair.warnings.join(' ')).toMatch(/1024-bit RSA key is weak/);
  });

  it('rejects other sizes with a clear error', async () => {
    for (const bits of [512, 1000, 8192, Number.NaN]) {
      expect(() => checkBits(bits)).toThrow(AppError);
      await expect(generateKeyPair({ bits })).rejects.toMatchObject({ code: KEY_ERROR.bitsInvalid });
    }
  });

  it('rejects an empty or overlong certificate name', async () => {
    for (const commonName of ['', '  ', 'x'.repeat(65)]) {
      await expect(generateKeyPair({ bits: 1024, commonName })).rejects.toMatchObject({
        code: KEY_ERROR.commonNameInvalid,
      });
    }
  });

  it('switches to GeneralizedTime for validity after 2049', async () => {
    const pair = await generateKeyPair({ bits: 1024, now: new Date('2049-12-01T00:00:00Z') });
    const certificate = new X509Certificate(pair.certificatePem);
    expect(new Date(certificate.validTo).getUTCFullYear()).toBe(2050);
    expect(certificate.verify(pair.publicKey)).toBe(true);
  });
});

describe('DER encoder', () => {
  it('encodes lengths, integers and object identifiers as X.690 says', () => {
    expect(der.tlv(0x04, Buffer.alloc(3)).toString('hex')).toBe('0403000000');
    expect(der.tlv(0x04, Buffer.alloc(200)).subarray(0, 3).toString('hex')).toBe('0481c8');
    expect(der.tlv(0x04, Buffer.alloc(300)).subarray(0, 4).toString('hex')).toBe('0482012c');
    expect(der.smallInteger(0).toString('hex')).toBe('020100');
    expect(der.smallInteger(2).toString('hex')).toBe('020102');
    expect(der.smallInteger(128).toString('hex')).toBe('02020080');
    expect(der.unsignedInteger(Buffer.from([0, 0, 0x7f])).toString('hex')).toBe('02017f');
    expect(der.oid('1.2.840.113549.1.1.11').toString('hex')).toBe('06092a864886f70d01010b');
    expect(der.oid('2.5.4.3').toString('hex')).toBe('0603550403');
    expect(der.time(new Date('2026-11-29T04:05:06Z')).toString('latin1')).toBe('\x17\x0d261129040506Z');
    expect(der.time(new Date('2050-01-01T00:00:00Z')).toString('latin1')).toBe('\x18\x0f20500101000000Z');
  });

  it('reads back what it writes and spots truncation', () => {
    const encoded = der.sequence(der.smallInteger(5), der.octetString(Buffer.alloc(300)));
    const header = der.readHeader(encoded, 0);
    expect(header.ok && der.children(encoded, header.node)?.map((node) => node.tag)).toEqual([0x02, 0x04]);
    expect(der.readHeader(encoded.subarray(0, 100), 0)).toEqual({ ok: false, reason: 'truncated' });
  });
});
