import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  MalformedParameters,
  baseStringUri,
  parseAuthorizationHeader,
  parseFormEncoded,
  percentEncode,
  signatureBaseString,
  verifyRsaSha1,
} from './signature.js';

describe('RFC 5849 signature base string', () => {
  it('reproduces the example of section 3.4.1.1 from the raw request parts', () => {
    const header = parseAuthorizationHeader(
      'OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", oauth_token="kkk9d7dh3k39sjv7", ' +
        'oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131201", oauth_nonce="7d8f3e4a", ' +
        'oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"',
    );
    expect(header).toBeDefined();
    const pairs = [
      ...header!.filter(([name]) => name !== 'realm'),
      ...parseFormEncoded('b5=%3D%253D&a3=a&c%40=&a2=r%20b'),
      ...parseFormEncoded('c2&a3=2+q'),
    ];
    expect(signatureBaseString('post', 'http://example.com/request', pairs)).toBe(
      'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7',
    );
  });

  it('normalises the base string URI as section 3.4.1.2 says', () => {
    expect(baseStringUri(new URL('HTTP://EXAMPLE.COM:80/r%20v/X?id=123'))).toBe('http://example.com/r%20v/X');
    expect(baseStringUri(new URL('https://www.example.net:8080/?q=1'))).toBe('https://www.example.net:8080/');
    expect(baseStringUri(new URL('https://jira.example.com:443/jira/rest'))).toBe(
      'https://jira.example.com/jira/rest',
    );
  });

  it('percent-encodes everything but the unreserved characters', () => {
    expect(percentEncode("a b+c*d!'()~._-é")).toBe('a%20b%2Bc%2Ad%21%27%28%29~._-%C3%A9');
  });

  it('reads Authorization headers leniently but refuses broken ones', () => {
    expect(parseAuthorizationHeader('Basic abc')).toBeUndefined();
    expect(parseAuthorizationHeader(undefined)).toBeUndefined();
    expect(parseAuthorizationHeader('OAuth a="1",b="%20x"')).toEqual([
      ['a', '1'],
      ['b', ' x'],
    ]);
    expect(() => parseAuthorizationHeader('OAuth a=1')).toThrow(MalformedParameters);
    expect(() => parseAuthorizationHeader('OAuth a="%zz"')).toThrow(MalformedParameters);
  });

  it('verifies RSA-SHA1 signatures and rejects altered ones', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const base = 'GET&http%3A%2F%2Fexample.com%2F&a%3D1';
    const signature = sign('RSA-SHA1', Buffer.from(base), privateKey).toString('base64');
    expect(verifyRsaSha1(base, signature, publicKey)).toBe(true);
    expect(verifyRsaSha1(`${base}2`, signature, publicKey)).toBe(false);
    expect(verifyRsaSha1(base, 'not base64!', publicKey)).toBe(false);
  });
});
