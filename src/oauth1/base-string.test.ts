import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { baseStringUri, collectParameters, normalizeParameters, signatureBaseString } from './base-string.js';
import { formDecode, formEncode, type Param, percentDecode, percentEncode } from './encoding.js';

describe('percentEncode (RFC 5849 3.6)', () => {
  it('leaves exactly the unreserved characters alone', () => {
    expect(percentEncode('AZaz09-._~')).toBe('AZaz09-._~');
    expect(percentEncode(' !"#$%&\'()*+,/:;<=>?@[\\]^`{|}')).toBe(
      '%20%21%22%23%24%25%26%27%28%29%2A%2B%2C%2F%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E%60%7B%7C%7D',
    );
  });

  it('encodes UTF-8 bytes with uppercase hex', () => {
    expect(percentEncode('é')).toBe('%C3%A9');
    expect(percentEncode('日本')).toBe('%E6%97%A5%E6%9C%AC');
    expect(percentEncode('😀')).toBe('%F0%9F%98%80');
    expect(percentEncode('\n\u007f')).toBe('%0A%7F');
  });

  it('round-trips any string (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        const encoded = percentEncode(text);
        expect(encoded).toMatch(/^(?:[A-Za-z0-9\-._~]|%[0-9A-F]{2})*$/);
        expect(percentDecode(encoded, 'test')).toBe(text);
      }),
    );
  });

  it('rejects text without a UTF-8 form', () => {
    expect(() => percentEncode('a\ud800b')).toThrow(AppError);
  });
});

describe('formDecode (HTML 4.01 17.13.4)', () => {
  it('treats + as a space and %2B as a plus', () => {
    expect(formDecode('a=b+c&d=e%2Bf&g=h%20i')).toEqual([
      ['a', 'b c'],
      ['d', 'e+f'],
      ['g', 'h i'],
    ]);
  });

  it('keeps empty values, repeated names and names without "="', () => {
    expect(formDecode('c2&a3=2+q&a3=a&=x&e=&&')).toEqual([
      ['c2', ''],
      ['a3', '2 q'],
      ['a3', 'a'],
      ['', 'x'],
      ['e', ''],
    ]);
  });

  it('decodes UTF-8 and rejects malformed escapes', () => {
    expect(formDecode('n%C3%A4me=v%E2%82%AC')).toEqual([['näme', 'v€']]);
    expect(() => formDecode('a=%zz')).toThrow(/malformed percent-escape/);
    expect(() => formDecode('a=%C3')).toThrow(AppError);
  });

  it('is the inverse of formEncode (property)', () => {
    const pair = fc.tuple(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }));
    fc.assert(
      fc.property(fc.array(pair), (params) => {
        const nonEmpty = params.filter(([name, value]) => name !== '' || value !== '') as Param[];
        expect(formDecode(formEncode(nonEmpty))).toEqual(nonEmpty);
      }),
    );
  });
});

describe('base string URI (RFC 5849 3.4.1.2)', () => {
  it.each([
    ['http://EXAMPLE.COM:80/r%20v/X?id=123', 'http://example.com/r%20v/X'],
    ['https://www.example.net:8080/?q=1', 'https://www.example.net:8080/'],
    [
      'HTTPS://Jira.Example.COM:443/jira/rest/api/2/myself#frag',
      'https://jira.example.com/jira/rest/api/2/myself',
    ],
    ['http://example.com:443/', 'http://example.com:443/'],
    ['https://example.com:80/a', 'https://example.com:80/a'],
    ['http://example.com', 'http://example.com/'],
    ['http://user:pw@example.com:8080/p?x', 'http://example.com:8080/p'],
    ['http://[::1]:2990/jira', 'http://[::1]:2990/jira'],
    ['http://127.0.0.1:2990/a/./b/../c', 'http://127.0.0.1:2990/a/c'],
    ['http://example.com/~user/a b', 'http://example.com/~user/a%20b'],
  ])('%s -> %s', (url, expected) => {
    expect(baseStringUri(url)).toBe(expected);
  });

  it('refuses what cannot be signed', () => {
    expect(() => baseStringUri('/relative/path')).toThrow(
      expect.objectContaining({ code: 'oauth1_invalid_url' }),
    );
    expect(() => baseStringUri('ftp://example.com/')).toThrow(
      expect.objectContaining({ code: 'oauth1_invalid_url' }),
    );
  });
});

describe('signature base string (RFC 5849 3.4.1)', () => {
  // The request of RFC 5849 3.4.1.1 and 3.4.1.3.1.
  const url = 'http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b';
  const oauth: Param[] = [
    ['realm', 'Example'],
    ['oauth_consumer_key', '9djdj82h48djs9d2'],
    ['oauth_token', 'kkk9d7dh3k39sjv7'],
    ['oauth_signature_method', 'HMAC-SHA1'],
    ['oauth_timestamp', '137131201'],
    ['oauth_nonce', '7d8f3e4a'],
    ['oauth_signature', 'bYT5CMsGcbgUdFHObYMEfcx6bsw='],
  ];
  const body = 'c2&a3=2+q';

  it('collects the parameters of RFC 5849 3.4.1.3.1, decoded', () => {
    const params = collectParameters(url, oauth, body);
    expect(params).toEqual([
      ['b5', '=%3D'],
      ['a3', 'a'],
      ['c@', ''],
      ['a2', 'r b'],
      ['oauth_consumer_key', '9djdj82h48djs9d2'],
      ['oauth_token', 'kkk9d7dh3k39sjv7'],
      ['oauth_signature_method', 'HMAC-SHA1'],
      ['oauth_timestamp', '137131201'],
      ['oauth_nonce', '7d8f3e4a'],
      ['c2', ''],
      ['a3', '2 q'],
    ]);
  });

  it('normalizes them as in RFC 5849 3.4.1.3.2', () => {
    expect(normalizeParameters(collectParameters(url, oauth, body))).toBe(
      'a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9djdj82h48djs9d2&oauth_nonce=7d8f3e4a&' +
        'oauth_signature_method=HMAC-SHA1&oauth_timestamp=137131201&oauth_token=kkk9d7dh3k39sjv7',
    );
  });

  it('reproduces the base string of RFC 5849 3.4.1.1 exactly', () => {
    expect(signatureBaseString('post', url, collectParameters(url, oauth, body))).toBe(
      'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7',
    );
  });

  it('sorts by encoded bytes: names first, then values, duplicates kept', () => {
    expect(
      normalizeParameters([
        ['b', '2'],
        ['a', 'z'],
        ['a', 'A'],
        ['a', ''],
        ['A', 'x'],
        ['a~', '1'],
        ['a-', '1'],
        ['ä', '1'],
        ['a', '%'],
        ['b', '10'],
      ]),
    ).toBe('%C3%A4=1&A=x&a=&a=%25&a=A&a=z&a-=1&a~=1&b=10&b=2'); // '%' (0x25) sorts before letters
  });

  it('distinguishes +, %2B, %20, ~ and %7E in the query', () => {
    const base = (query: string) =>
      signatureBaseString(
        'GET',
        `http://example.com/p?${query}`,
        collectParameters(`http://example.com/p?${query}`, []),
      );
    expect(base('q=a+b')).toBe(base('q=a%20b'));
    expect(base('q=a+b')).toContain('q%3Da%2520b');
    expect(base('q=a%2Bb')).toContain('q%3Da%252Bb');
    expect(base('q=~')).toBe(base('q=%7E'));
    expect(base('q=~')).toContain('q%3D~');
    expect(base('jql=project+%3D+TB+ORDER+BY+key')).toContain(
      'jql%3Dproject%2520%253D%2520TB%2520ORDER%2520BY%2520key',
    );
  });

  it('drops oauth_signature from every source but keeps a query parameter named realm', () => {
    expect(
      collectParameters(
        'http://e.com/?realm=r&oauth_signature=q',
        [
          ['realm', 'h'],
          ['oauth_signature', 'h'],
          ['oauth_nonce', 'n'],
        ],
        'oauth_signature=b&x=1',
      ),
    ).toEqual([
      ['realm', 'r'],
      ['oauth_nonce', 'n'],
      ['x', '1'],
    ]);
  });

  it('never reads parameters from a JSON body', () => {
    expect(collectParameters('http://example.com/', [], undefined)).toEqual([]);
    expect(collectParameters('http://example.com/', [], new URLSearchParams({ a: 'b c' }))).toEqual([
      ['a', 'b c'],
    ]);
    expect(collectParameters('http://example.com/', [], { x: '1' })).toEqual([['x', '1']]);
  });

  it('uppercases the method and rejects invalid method names', () => {
    expect(signatureBaseString('get', 'http://e.com/', [])).toBe('GET&http%3A%2F%2Fe.com%2F&');
    expect(() => signatureBaseString('GE T', 'http://e.com/', [])).toThrow(AppError);
  });
});
