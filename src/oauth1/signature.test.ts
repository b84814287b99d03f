import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import type { Param } from './encoding.js';
import { createRequestSigner, rebaseUrl, signOAuth1, signRequest } from './sign.js';
import {
  authorizationHeader,
  parseAuthorizationHeader,
  type SigningKey,
  verifySignature,
} from './signature.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 1024 });

const param = (signed: { oauthParams: Param[] }, name: string) =>
  signed.oauthParams.find(([key]) => key === name)?.[1];

/**
 * RFC 5849 1.2: the three requests of the photo-printing example, HMAC-SHA1, without
 * oauth_version (the RFC leaves it out, so the expected signatures are computed without it).
 */
describe('RFC 5849 section 1.2 example signatures', () => {
  const consumerSecret = 'kd94hf93k423kf44';

  interface Example {
    step: string;
    method: string;
    url: string;
    params: Param[];
    tokenSecret: string;
    signature: string;
  }
  it.each<Example>([
    {
      step: 'temporary credentials',
      method: 'POST',
      url: 'https://photos.example.net/initiate',
      params: [
        ['oauth_consumer_key', 'dpf43f3p2l4k3l03'],
        ['oauth_signature_method', 'HMAC-SHA1'],
        ['oauth_timestamp', '137131200'],
        ['oauth_nonce', 'wIjqoS'],
        ['oauth_callback', 'http://printer.example.com/ready'],
      ],
      tokenSecret: '',
      signature: '74KNZJeDHnMBp0EMJ9ZHt/XKycU=',
    },
    {
      step: 'token credentials',
      method: 'POST',
      url: 'https://photos.example.net/token',
      params: [
        ['oauth_consumer_key', 'dpf43f3p2l4k3l03'],
        ['oauth_token', 'hh5s93j4hdidpola'],
        ['oauth_signature_method', 'HMAC-SHA1'],
        ['oauth_timestamp', '137131201'],
        ['oauth_nonce', 'walatlh'],
        ['oauth_verifier', 'hfdp7dh39dks9884'],
      ],
      tokenSecret: 'hdhd0244k9j7ao03',
      signature: 'gKgrFCywp7rO0OXSjdot/IHF7IU=',
    },
    {
      step: 'protected resource',
      method: 'GET',
      url: 'http://photos.example.net/photos?file=vacation.jpg&size=original',
      params: [
        ['oauth_consumer_key', 'dpf43f3p2l4k3l03'],
        ['oauth_token', 'nnch734d00sl2jdk'],
        ['oauth_signature_method', 'HMAC-SHA1'],
        ['oauth_timestamp', '137131202'],
        ['oauth_nonce', 'chapoH'],
      ],
      tokenSecret: 'pfkkdhi9sl3r4s00',
      signature: 'MdpQcU8iPSUjWoN/UDMsK2sui9I=',
    },
  ])('$step', ({ method, url, params, tokenSecret, signature }) => {
    const key = { method: 'HMAC-SHA1', consumerSecret, tokenSecret } as const;
    const header = authorizationHeader([...params, ['oauth_signature', signature]], 'Photos');
    expect(verifySignature({ method, url, authorization: header, key })).toBe(true);
    expect(
      verifySignature({ method, url, authorization: header, key: { ...key, tokenSecret: 'wrong' } }),
    ).toBe(false);

    // And our signer produces exactly that signature from the same inputs.
    const get = (name: string) => params.find(([n]) => n === name)?.[1];
    const signed = signOAuth1({
      method,
      url,
      consumerKey: get('oauth_consumer_key')!,
      token: get('oauth_token'),
      callback: get('oauth_callback'),
      verifier: get('oauth_verifier'),
      key,
      nonce: get('oauth_nonce')!,
      timestamp: Number(get('oauth_timestamp')),
      realm: 'Photos',
      omitVersion: true,
    });
    expect(param(signed, 'oauth_signature')).toBe(signature);
    expect(signed.authorization).toContain(`oauth_signature="${encodeURIComponent(signature)}"`);
  });

  it('PLAINTEXT example of RFC 5849 2.1', () => {
    const signed = signOAuth1({
      method: 'POST',
      url: 'https://server.example.com/request_temp_credentials',
      consumerKey: 'jd83jd92dhsh93js',
      key: { method: 'PLAINTEXT', consumerSecret: 'ja893SD9' },
      callback: 'http://client.example.net/cb?x=1',
      realm: 'Example',
      nonce: 'n',
      timestamp: 1,
    });
    expect(param(signed, 'oauth_signature')).toBe('ja893SD9&');
    expect(signed.authorization).toContain('oauth_signature="ja893SD9%26"');
    expect(signed.authorization).toContain('oauth_callback="http%3A%2F%2Fclient.example.net%2Fcb%3Fx%3D1"');
    expect(signed.authorization.startsWith('OAuth realm="Example", ')).toBe(true);
  });
});

describe('signOAuth1', () => {
  it('uses the injected clock and nonce source, timestamps in seconds', () => {
    const signed = signOAuth1({
      method: 'GET',
      url: 'https://jira.example.com/rest/api/2/myself',
      consumerKey: 'testbridge',
      key: { method: 'RSA-SHA1', privateKey: rsa.privateKey },
      clock: () => 1_700_000_123_999,
      nonceSource: () => 'fixed-nonce',
    });
    expect(signed.timestamp).toBe(1_700_000_123);
    expect(param(signed, 'oauth_timestamp')).toBe('1700000123');
    expect(param(signed, 'oauth_nonce')).toBe('fixed-nonce');
    // RSA PKCS#1 v1.5 is deterministic: same inputs, same header.
    const again = signOAuth1({
      method: 'GET',
      url: 'https://jira.example.com/rest/api/2/myself',
      consumerKey: 'testbridge',
      key: { method: 'RSA-SHA1', privateKey: rsa.privateKey },
      timestamp: 1_700_000_123,
      nonce: 'fixed-nonce',
    });
    expect(again.authorization).toBe(signed.authorization);
  });

  it('draws a fresh 128-bit nonce from the CSPRNG by default', () => {
    const nonces = new Set(
      Array.from(
        { length: 50 },
        () =>
          signOAuth1({
            method: 'GET',
            url: 'http://e.com/',
            consumerKey: 'k',
            key: { method: 'PLAINTEXT', consumerSecret: 's' },
          }).nonce,
      ),
    );
    expect(nonces.size).toBe(50);
    for (const nonce of nonces) expect(nonce).toMatch(/^[0-9a-f]{32}$/);
  });

  it('signs form body parameters but not a JSON body', () => {
    const base = (formBody?: string) =>
      signOAuth1({
        method: 'POST',
        url: 'http://e.com/p',
        consumerKey: 'k',
        key: { method: 'PLAINTEXT', consumerSecret: 's' },
        nonce: 'n',
        timestamp: 1,
        formBody,
      }).baseString;
    expect(base('a=1+2&b=%2B')).toContain('a%3D1%25202%26b%3D%252B');
    expect(base()).not.toContain('a%3D');
  });

  it('rejects bad timestamps, nonces and extra parameters', () => {
    const sign = (extra: object) => () =>
      signOAuth1({
        method: 'GET',
        url: 'http://e.com/',
        consumerKey: 'k',
        key: { method: 'PLAINTEXT', consumerSecret: 's' },
        ...extra,
      });
    expect(sign({ timestamp: 0 })).toThrow(AppError);
    expect(sign({ timestamp: 1.5 })).toThrow(AppError);
    expect(sign({ nonce: '' })).toThrow(AppError);
    expect(sign({ extraOAuthParams: { foo: 'x' } })).toThrow(AppError);
    expect(sign({ extraOAuthParams: { oauth_nonce: 'x' } })).toThrow(AppError);
    expect(sign({ extraOAuthParams: { oauth_session_handle: 'h' } })).not.toThrow();
    expect(sign({ realm: 'a"b' })).toThrow(AppError);
  });

  it('signs with the Jira base URL behind a proxy (signingBaseUrl)', () => {
    const signed = signOAuth1({
      method: 'GET',
      url: 'http://10.0.0.5:8080/jira/rest/api/2/search?jql=project+%3D+TB',
      consumerKey: 'k',
      key: { method: 'RSA-SHA1', privateKey: rsa.privateKey },
      signingBaseUrl: 'https://jira.example.com/jira',
      requestBaseUrl: 'http://10.0.0.5:8080/jira',
      nonce: 'n',
      timestamp: 1,
    });
    expect(signed.signingUrl).toBe('https://jira.example.com/jira/rest/api/2/search?jql=project+%3D+TB');
    expect(
      signed.baseString.startsWith(
        'GET&https%3A%2F%2Fjira.example.com%2Fjira%2Frest%2Fapi%2F2%2Fsearch&jql%3D',
      ),
    ).toBe(true);
    const key = { method: 'RSA-SHA1', publicKey: rsa.publicKey } as const;
    expect(
      verifySignature({ method: 'GET', url: signed.signingUrl, authorization: signed.authorization, key }),
    ).toBe(true);
    expect(
      verifySignature({
        method: 'GET',
        url: 'http://10.0.0.5:8080/jira/rest/api/2/search?jql=project+%3D+TB',
        authorization: signed.authorization,
        key,
      }),
    ).toBe(false);
  });

  it.each([
    [
      'http://10.0.0.5:8080/rest/api/2/myself',
      'https://jira.example.com',
      undefined,
      'https://jira.example.com/rest/api/2/myself',
    ],
    [
      'http://10.0.0.5:8080/jira/rest/x?a=b',
      'https://jira.example.com/jira/',
      undefined,
      'https://jira.example.com/jira/rest/x?a=b',
    ],
    [
      'http://10.0.0.5:8080/rest/x',
      'https://example.com/jira',
      'http://10.0.0.5:8080/',
      'https://example.com/jira/rest/x',
    ],
    [
      'http://internal/j/rest/x',
      'https://example.com/jira',
      'http://internal/j',
      'https://example.com/jira/rest/x',
    ],
    ['http://internal/rest/x', 'https://example.com', undefined, 'https://example.com/rest/x'],
  ])('rebaseUrl(%s, %s, %s) = %s', (url, signingBase, requestBase, expected) => {
    expect(rebaseUrl(url, signingBase, requestBase)).toBe(expected);
  });

  it('refuses to rebase a URL that is not under the request base URL', () => {
    expect(() => rebaseUrl('http://other/rest', 'https://jira', 'http://internal')).toThrow(AppError);
    expect(() => rebaseUrl('http://internal/jirax/rest', 'https://jira', 'http://internal/jira')).toThrow(
      AppError,
    );
  });
});

describe('signRequest (the Jira client entry point)', () => {
  it('returns an RSA-SHA1 Authorization header that verifies', () => {
    const header = signRequest({
      method: 'PUT',
      url: 'https://jira.example.com/rest/api/2/issue/TB-1',
      consumerKey: 'Testbridge',
      privateKey: rsa.privateKey,
      token: 'access-token',
      tokenSecret: 'ignored-for-rsa',
      clock: () => 1_000_000_000_000,
      nonceSource: () => 'abc',
    });
    expect(header).toMatch(
      /^OAuth oauth_consumer_key="Testbridge", oauth_token="access-token", oauth_signature_method="RSA-SHA1", oauth_timestamp="1000000000", oauth_nonce="abc", oauth_version="1.0", oauth_signature="[A-Za-z0-9%]+"$/,
    );
    expect(header).not.toContain('ignored-for-rsa');
    const key = { method: 'RSA-SHA1', publicKey: rsa.publicKey } as const;
    expect(
      verifySignature({
        method: 'PUT',
        url: 'https://jira.example.com/rest/api/2/issue/TB-1',
        authorization: header,
        key,
      }),
    ).toBe(true);
    expect(
      verifySignature({
        method: 'POST',
        url: 'https://jira.example.com/rest/api/2/issue/TB-1',
        authorization: header,
        key,
      }),
    ).toBe(false);
    expect(
      verifySignature({
        method: 'PUT',
        url: 'https://jira.example.com/rest/api/2/issue/TB-1',
        authorization: header,
        key: { method: 'RSA-SHA1', publicKey: otherRsa.publicKey },
      }),
    ).toBe(false);
  });

  it('binds connection credentials once with createRequestSigner', () => {
    const sign = createRequestSigner({
      consumerKey: 'Testbridge',
      privateKey: rsa.privateKey,
      token: 'at',
      signingBaseUrl: 'https://jira.example.com',
      requestBaseUrl: 'http://10.0.0.5:8080',
    });
    const header = sign({ method: 'POST', url: 'http://10.0.0.5:8080/rest/api/2/issue', formBody: 'x=1' });
    const key = { method: 'RSA-SHA1', publicKey: rsa.publicKey } as const;
    expect(header).toContain('oauth_token="at"');
    expect(
      verifySignature({
        method: 'POST',
        url: 'https://jira.example.com/rest/api/2/issue',
        authorization: header,
        formBody: 'x=1',
        key,
      }),
    ).toBe(true);
    expect(() => createRequestSigner({ consumerKey: 'k', privateKey: rsa.publicKey })).toThrow(AppError);
    expect(() => createRequestSigner({ consumerKey: '', privateKey: rsa.privateKey })).toThrow(AppError);
  });

  it('refuses a public or non-RSA key', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    for (const privateKey of [rsa.publicKey, ec.privateKey]) {
      expect(() => signRequest({ method: 'GET', url: 'https://j/', consumerKey: 'k', privateKey })).toThrow(
        expect.objectContaining({ code: 'oauth1_invalid_key' }),
      );
    }
  });
});

describe('Authorization header', () => {
  it('parses what it writes, decoding values and keeping realm apart', () => {
    const params: Param[] = [
      ['oauth_consumer_key', 'a b+c~é'],
      ['oauth_callback', 'https://tb.example.com/oauth/callback?x=1&y=2'],
    ];
    const header = authorizationHeader(params, 'https://jira.example.com');
    expect(header).toBe(
      'OAuth realm="https://jira.example.com", oauth_consumer_key="a%20b%2Bc~%C3%A9", oauth_callback="https%3A%2F%2Ftb.example.com%2Foauth%2Fcallback%3Fx%3D1%26y%3D2"',
    );
    expect(parseAuthorizationHeader(header)).toEqual({ realm: 'https://jira.example.com', params });
    expect(parseAuthorizationHeader('oauth  a="1" ,b=2,c=""').params).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', ''],
    ]);
  });

  it('rejects other schemes and garbage', () => {
    expect(() => parseAuthorizationHeader('Bearer abc')).toThrow(AppError);
    expect(() => parseAuthorizationHeader('OAuth a="1" b')).toThrow(AppError);
  });
});

describe('verifySignature', () => {
  const keys: { sign: SigningKey; verify: Parameters<typeof verifySignature>[0]['key'] }[] = [
    {
      sign: { method: 'RSA-SHA1', privateKey: rsa.privateKey },
      verify: { method: 'RSA-SHA1', publicKey: rsa.publicKey },
    },
    {
      sign: { method: 'HMAC-SHA1', consumerSecret: 'cs&', tokenSecret: 'ts~' },
      verify: { method: 'HMAC-SHA1', consumerSecret: 'cs&', tokenSecret: 'ts~' },
    },
    {
      sign: { method: 'PLAINTEXT', consumerSecret: 'cs', tokenSecret: 'ts' },
      verify: { method: 'PLAINTEXT', consumerSecret: 'cs', tokenSecret: 'ts' },
    },
  ];

  it('accepts every signed request and rejects any change (property, all methods)', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 12 });
    const request = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'patch'),
      host: fc.constantFrom('jira.example.com', 'JIRA.Example.com', '127.0.0.1', '[::1]'),
      port: fc.constantFrom('', ':80', ':443', ':8080', ':2990'),
      scheme: fc.constantFrom('http', 'https'),
      path: fc.array(fc.stringMatching(/^[A-Za-z0-9._~-]{1,8}$/), { maxLength: 4 }),
      query: fc.array(fc.tuple(text, text), { maxLength: 4 }),
      form: fc.option(fc.array(fc.tuple(text, text), { maxLength: 4 }), { nil: undefined }),
      token: fc.option(text, { nil: undefined }),
      keyIndex: fc.integer({ min: 0, max: 2 }),
    });
    fc.assert(
      fc.property(request, (r) => {
        const search = new URLSearchParams(r.query.filter(([n, v]) => n !== '' || v !== '')).toString();
        const url = `${r.scheme}://${r.host}${r.port}/${r.path.join('/')}${search ? `?${search}` : ''}`;
        const formBody = r.form ? new URLSearchParams(r.form).toString() : undefined;
        const { sign, verify } = keys[r.keyIndex]!;
        const signed = signOAuth1({
          method: r.method,
          url,
          consumerKey: 'ck',
          token: r.token,
          key: sign,
          formBody,
        });
        expect(
          verifySignature({
            method: r.method,
            url,
            authorization: signed.authorization,
            formBody,
            key: verify,
          }),
        ).toBe(true);
        if (verify.method === 'PLAINTEXT') {
          // PLAINTEXT covers only the secrets (RFC 5849 3.4.4), so only a wrong secret fails.
          expect(
            verifySignature({
              method: r.method,
              url,
              authorization: signed.authorization,
              formBody,
              key: { ...verify, tokenSecret: 'other' },
            }),
          ).toBe(false);
          return;
        }
        expect(
          verifySignature({
            method: r.method,
            url: `${url}${search ? '&' : '?'}extra=1`,
            authorization: signed.authorization,
            formBody,
            key: verify,
          }),
        ).toBe(false);
        expect(
          verifySignature({
            method: r.method,
            url,
            authorization: signed.authorization.replace('oauth_consumer_key="ck"', 'oauth_consumer_key="cK"'),
            formBody,
            key: verify,
          }),
        ).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it('rejects a missing, repeated or mismatched signature method', () => {
    const signed = signOAuth1({
      method: 'GET',
      url: 'http://e.com/',
      consumerKey: 'k',
      key: keys[1]!.sign,
      nonce: 'n',
      timestamp: 1,
    });
    const params = parseAuthorizationHeader(signed.authorization).params;
    const url = 'http://e.com/';
    expect(verifySignature({ method: 'GET', url, authorization: params, key: keys[1]!.verify })).toBe(true);
    expect(
      verifySignature({
        method: 'GET',
        url,
        authorization: params,
        key: { method: 'PLAINTEXT', consumerSecret: 'cs&', tokenSecret: 'ts~' },
      }),
    ).toBe(false);
    expect(
      verifySignature({
        method: 'GET',
        url,
        authorization: params.filter(([n]) => n !== 'oauth_signature'),
        key: keys[1]!.verify,
      }),
    ).toBe(false);
    expect(
      verifySignature({
        method: 'GET',
        url,
        authorization: [...params, ['oauth_signature', 'x']],
        key: keys[1]!.verify,
      }),
    ).toBe(false);
    expect(
      verifySignature({
        method: 'GET',
        url,
        authorization: params.map(([n, v]) => [n, n === 'oauth_signature' ? '!!' : v] as Param),
        key: keys[0]!.verify,
      }),
    ).toBe(false);
  });
});
