import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { fingerprint } from '../keys/fingerprint.js';
import { collectParameters, signatureBaseString } from './base-string.js';
import { formEncode, type Param } from './encoding.js';
import { authorizationUrl, getAccessToken, getRequestToken, type JiraOAuth1Config } from './jira-flow.js';
import { OAuthProblemError } from './problems.js';
import { parseAuthorizationHeader, verifySignature } from './signature.js';

const pair = generateKeyPairSync('rsa', { modulusLength: 1024 });
const strangerPair = generateKeyPairSync('rsa', { modulusLength: 1024 });
const NOW = 1_800_000_000_000;

interface FakeJiraOptions {
  /** The base URL Jira believes it has; it verifies signatures against this. */
  baseUrl: string;
  /** Where requests actually arrive (a proxy in front of Jira), defaults to baseUrl. */
  listenUrl?: string;
  consumerKey?: string;
  publicKey?: KeyObject;
  now?: number;
  /** Put the problem in WWW-Authenticate only, as some Jira versions do. */
  problemInHeader?: boolean;
}

/**
 * A Jira that behaves like the OAuth servlet: it rebuilds the request URL from its own base
 * URL, verifies RSA-SHA1 with the application link's public key, and reports problems.
 */
function fakeJira(options: FakeJiraOptions) {
  const listen = (options.listenUrl ?? options.baseUrl).replace(/\/$/, '');
  const calls: { url: string; authorization: string }[] = [];
  const problem = (status: number, params: Param[]) =>
    options.problemInHeader
      ? new Response('', {
          status,
          headers: {
            'WWW-Authenticate': `OAuth realm="${options.baseUrl}", ${params.map(([k, v]) => `${k}="${encodeURIComponent(v)}"`).join(', ')}`,
          },
        })
      : new Response(formEncode(params), { status, headers: { 'Content-Type': 'text/plain' } });

  const fetchImpl = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    const authorization = new Headers(init?.headers).get('authorization') ?? '';
    calls.push({ url, authorization });
    if (!url.startsWith(listen)) throw new TypeError('fetch failed');
    const path = url.slice(listen.length);
    const rebuilt = `${options.baseUrl.replace(/\/$/, '')}${path}`;
    const params = parseAuthorizationHeader(authorization).params;
    const get = (name: string) => params.find(([key]) => key === name)?.[1];
    if (get('oauth_consumer_key') !== (options.consumerKey ?? 'Testbridge'))
      return problem(401, [['oauth_problem', 'consumer_key_unknown']]);
    const now = Math.floor((options.now ?? NOW) / 1000);
    const timestamp = Number(get('oauth_timestamp'));
    if (Math.abs(timestamp - now) > 300) {
      return problem(401, [
        ['oauth_problem', 'timestamp_refused'],
        ['oauth_acceptable_timestamps', `${now - 300}-${now + 300}`],
      ]);
    }
    const key = { method: 'RSA-SHA1', publicKey: options.publicKey ?? pair.publicKey } as const;
    if (!verifySignature({ method: init?.method ?? 'GET', url: rebuilt, authorization, key })) {
      const base = signatureBaseString(init?.method ?? 'GET', rebuilt, collectParameters(rebuilt, params));
      return problem(401, [
        ['oauth_problem', 'signature_invalid'],
        ['oauth_signature', get('oauth_signature') ?? ''],
        ['oauth_signature_base_string', base],
        ['oauth_signature_method', 'RSA-SHA1'],
      ]);
    }
    if (path === '/plugins/servlet/oauth/request-token') {
      return new Response('oauth_token=RT1&oauth_token_secret=RTsecret&oauth_callback_confirmed=true', {
        status: 200,
      });
    }
    if (path === '/plugins/servlet/oauth/access-token') {
      if (get('oauth_token') !== 'RT1') return problem(401, [['oauth_problem', 'token_rejected']]);
      if (get('oauth_verifier') !== 'v3rifier')
        return problem(401, [['oauth_problem', 'permission_unknown']]);
      return new Response(
        'oauth_token=AT1&oauth_token_secret=ATsecret&oauth_expires_in=157680000&oauth_session_handle=SH1&oauth_authorization_expires_in=157680000',
        { status: 200 },
      );
    }
    return new Response('<html>Not found</html>', { status: 404 });
  };
  return { fetch: fetchImpl as typeof fetch, calls };
}

function config(jira: ReturnType<typeof fakeJira>, extra: Partial<JiraOAuth1Config> = {}): JiraOAuth1Config {
  return {
    jiraUrl: 'https://jira.example.com',
    consumerKey: 'Testbridge',
    privateKey: pair.privateKey,
    fetch: jira.fetch,
    clock: () => NOW,
    ...extra,
  };
}

async function expectProblem(promise: Promise<unknown>, code: string): Promise<OAuthProblemError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OAuthProblemError);
  const problem = err as OAuthProblemError;
  expect(problem.code).toBe(code);
  expect(problem).toBeInstanceOf(AppError);
  expect(problem.status).toBe(400);
  // No secret of ours may leak into what the admin sees.
  const text = `${problem.message} ${problem.hint}`;
  for (const secret of ['RTsecret', 'ATsecret', 'PRIVATE KEY']) expect(text).not.toContain(secret);
  return problem;
}

describe('Jira three-legged flow', () => {
  it('gets a request token, builds the authorization URL, trades the verifier for an access token', async () => {
    const jira = fakeJira({ baseUrl: 'https://jira.example.com' });
    const cfg = config(jira);
    const requestToken = await getRequestToken(cfg, {
      callback: 'https://tb.example.com/oauth/callback?c=1',
    });
    expect(requestToken).toEqual({
      token: 'RT1',
      tokenSecret: 'RTsecret',
      callbackConfirmed: true,
      authorizationUrl: 'https://jira.example.com/plugins/servlet/oauth/authorize?oauth_token=RT1',
    });
    expect(jira.calls[0]!.url).toBe('https://jira.example.com/plugins/servlet/oauth/request-token');
    expect(jira.calls[0]!.authorization).toContain(
      'oauth_callback="https%3A%2F%2Ftb.example.com%2Foauth%2Fcallback%3Fc%3D1"',
    );
    const access = await getAccessToken(cfg, { requestToken: requestToken.token, verifier: ' "v3rifier" ' });
    expect(access).toEqual({
      token: 'AT1',
      tokenSecret: 'ATsecret',
      expiresIn: 157680000,
      sessionHandle: 'SH1',
      authorizationExpiresIn: 157680000,
    });
    expect(jira.calls[1]!.authorization).toContain('oauth_verifier="v3rifier"');
    expect(jira.calls[1]!.authorization).toContain('oauth_token="RT1"');
  });

  it('defaults the callback to oob', async () => {
    const jira = fakeJira({ baseUrl: 'https://jira.example.com' });
    await getRequestToken(config(jira));
    expect(jira.calls[0]!.authorization).toContain('oauth_callback="oob"');
  });

  it('signs with the Jira base URL when Jira sits behind a proxy', async () => {
    const jira = fakeJira({
      baseUrl: 'https://jira.example.com/jira',
      listenUrl: 'http://10.1.2.3:8080/jira',
    });
    const cfg = config(jira, {
      jiraUrl: 'http://10.1.2.3:8080/jira/',
      signingBaseUrl: 'https://jira.example.com/jira',
    });
    const requestToken = await getRequestToken(cfg);
    expect(jira.calls[0]!.url).toBe('http://10.1.2.3:8080/jira/plugins/servlet/oauth/request-token');
    expect(requestToken.authorizationUrl).toBe(
      'https://jira.example.com/jira/plugins/servlet/oauth/authorize?oauth_token=RT1',
    );
    await expect(getAccessToken(cfg, { requestToken: 'RT1', verifier: 'v3rifier' })).resolves.toMatchObject({
      token: 'AT1',
    });
  });

  it('explains signature_invalid caused by a proxy: names both URLs and suggests the base URL', async () => {
    const jira = fakeJira({
      baseUrl: 'https://jira.example.com/jira',
      listenUrl: 'http://10.1.2.3:8080/jira',
    });
    const problem = await expectProblem(
      getRequestToken(config(jira, { jiraUrl: 'http://10.1.2.3:8080/jira' })),
      'oauth1_signature_invalid',
    );
    expect(problem.problem).toBe('signature_invalid');
    expect(problem.baseStringDiff?.kind).toBe('scheme');
    expect(problem.message).toContain('host: we signed 10.1.2.3, Jira saw jira.example.com.');
    expect(problem.message).toContain('port: we signed 8080, Jira saw 443.');
    expect(problem.hint).toContain(
      'Jira saw https://jira.example.com/jira/plugins/servlet/oauth/request-token',
    );
    expect(problem.hint).toContain(
      'Testbridge signed http://10.1.2.3:8080/jira/plugins/servlet/oauth/request-token',
    );
    expect(problem.hint).toContain('Set the Jira base URL in Testbridge to https://jira.example.com/jira');
    // The echoed base string carries the token; nothing reachable from the error keeps it.
    expect(JSON.stringify({ ...problem, message: problem.message })).not.toContain(
      'oauth_signature_base_string',
    );
    expect(JSON.stringify(problem.report)).not.toContain('oauth_nonce');
  });

  it('explains signature_invalid with identical base strings as a key mismatch', async () => {
    const jira = fakeJira({ baseUrl: 'https://jira.example.com', publicKey: strangerPair.publicKey });
    const problem = await expectProblem(getRequestToken(config(jira)), 'oauth1_signature_invalid');
    expect(problem.baseStringDiff?.identical).toBe(true);
    const access = await expectProblem(
      getAccessToken(config(jira), { requestToken: 'RT1', verifier: 'v3rifier' }),
      'oauth1_signature_invalid',
    );
    expect(JSON.stringify({ ...access, message: access.message, hint: access.hint })).not.toContain('RT1');
    expect(problem.message).toMatch(
      /private key does not match the public key of the application link for consumer key "Testbridge"/,
    );
    expect(problem.hint).toContain(fingerprint(pair.publicKey).sha256);
  });

  it('maps consumer_key_unknown to a hint naming the consumer key', async () => {
    const jira = fakeJira({ baseUrl: 'https://jira.example.com', consumerKey: 'Other' });
    const problem = await expectProblem(getRequestToken(config(jira)), 'oauth1_consumer_key_unknown');
    expect(problem.message).toBe('Jira has no application link with consumer key "Testbridge".');
    expect(problem.hint).toMatch(/Create the incoming link .*consumer key "Testbridge"/);
  });

  it('computes the clock skew from timestamp_refused', async () => {
    const jira = fakeJira({ baseUrl: 'https://jira.example.com' });
    const problem = await expectProblem(
      getRequestToken(config(jira, { clock: () => NOW + 700_000 })),
      'oauth1_timestamp_refused',
    );
    expect(problem.skewSeconds).toBe(700);
    expect(problem.message).toContain("Testbridge's clock is 700 seconds ahead of Jira's");
    const behind = await expectProblem(
      getRequestToken(config(jira, { clock: () => NOW - 400_000 })),
      'oauth1_timestamp_refused',
    );
    expect(behind.skewSeconds).toBe(-400);
    expect(behind.message).toContain('400 seconds behind');
    expect(behind.hint).toMatch(/NTP/);
  });

  it('reads a problem from WWW-Authenticate when the body is empty', async () => {
    const jira = fakeJira({ baseUrl: 'https://jira.example.com', problemInHeader: true });
    const problem = await expectProblem(
      getAccessToken(config(jira), { requestToken: 'RT-old', verifier: 'x' }),
      'oauth1_token_rejected',
    );
    expect(problem.hint).toMatch(/Authorize Testbridge again/);
    await expectProblem(
      getAccessToken(config(jira), { requestToken: 'RT1', verifier: 'wrong' }),
      'oauth1_permission_unknown',
    );
  });

  it('turns network failures and odd answers into clear errors', async () => {
    const answer = (response: Response | Error) =>
      config(fakeJira({ baseUrl: 'https://x' }), {
        fetch: (async () => {
          if (response instanceof Error) throw response;
          return response;
        }) as typeof fetch,
      });
    const cases: [Response | Error, string][] = [
      [new TypeError('fetch failed'), 'oauth1_jira_unreachable'],
      [new Response('<html>Not Found</html>', { status: 404 }), 'oauth1_endpoint_not_found'],
      [
        new Response(null, { status: 302, headers: { Location: 'https://jira.example.com/login.jsp' } }),
        'oauth1_jira_redirect',
      ],
      [new Response('<html>login</html>', { status: 200 }), 'oauth1_unexpected_response'],
      [new Response('oauth_token_secret=only', { status: 200 }), 'oauth1_unexpected_response'],
      [new Response('Internal error', { status: 500 }), 'oauth1_jira_error'],
      [new Response('nope', { status: 401 }), 'oauth1_jira_error'],
    ];
    for (const [response, code] of cases) {
      const err = await getRequestToken(answer(response)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe(code);
      expect((err as AppError).status).toBeLessThan(500);
      expect((err as AppError).hint).toBeTruthy();
    }
  });

  it('rejects an empty verifier and a bad callback before calling Jira', async () => {
    const jira = fakeJira({ baseUrl: 'https://jira.example.com' });
    await expect(getAccessToken(config(jira), { requestToken: 'RT1', verifier: '  ' })).rejects.toMatchObject(
      { code: 'oauth1_verifier_missing' },
    );
    await expect(getRequestToken(config(jira), { callback: 'not a url' })).rejects.toMatchObject({
      code: 'oauth1_invalid_url',
    });
    expect(jira.calls).toHaveLength(0);
  });

  it('refuses a Jira URL with credentials or a query, and an empty consumer key', async () => {
    const jira = fakeJira({ baseUrl: 'https://jira.example.com' });
    const err = (await getRequestToken(
      config(jira, { jiraUrl: 'https://admin:hunter2@jira.example.com' }),
    ).catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'oauth1_invalid_url' });
    expect(`${err.message} ${err.hint}`).not.toContain('hunter2');
    await expect(
      getRequestToken(config(jira, { jiraUrl: 'https://jira.example.com/?a=b' })),
    ).rejects.toMatchObject({ code: 'oauth1_invalid_url' });
    await expect(getRequestToken(config(jira, { consumerKey: ' ' }))).rejects.toMatchObject({
      code: 'oauth1_invalid_request',
    });
    expect(jira.calls).toHaveLength(0);
  });

  it('builds the authorization URL with an encoded token', () => {
    expect(authorizationUrl({ jiraUrl: 'https://jira.example.com/jira/' }, 'a b+c')).toBe(
      'https://jira.example.com/jira/plugins/servlet/oauth/authorize?oauth_token=a%20b%2Bc',
    );
  });
});
