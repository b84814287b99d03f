import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { basicAuth, type JiraAuth, oauth1Auth, patAuth } from './auth.js';
import { JiraApiError } from './errors.js';
import { networkFailure, type ScriptedAnswer, scriptedFetch } from './test-support.js';
import { type JiraCallEvent, JiraTransport, type JiraTransportOptions } from './transport.js';

const PASSWORD = 'hunter2-very-secret';

function setup(answers: ScriptedAnswer[], options: Partial<JiraTransportOptions> = {}) {
  const { fetch, requests } = scriptedFetch(answers);
  const sleeps: number[] = [];
  const calls: JiraCallEvent[] = [];
  const transport = new JiraTransport({
    jiraUrl: 'https://jira.example.com/jira',
    auth: basicAuth({ username: 'admin', password: PASSWORD }),
    fetch,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    onCall: (e) => calls.push(e),
    ...options,
  });
  return { transport, requests, sleeps, calls };
}

const ok = z.looseObject({ ok: z.boolean() });

async function failure(p: Promise<unknown>): Promise<JiraApiError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof JiraApiError) return e;
    throw e;
  }
  throw new Error('expected a JiraApiError');
}

describe('JiraTransport requests', () => {
  it('builds the URL under the context path, sends auth and JSON, validates the answer', async () => {
    const { transport, requests } = setup([{ status: 200, json: { ok: true, extra: 1 } }]);
    const res = await transport.request({
      method: 'POST',
      path: '/rest/api/2/thing',
      query: { fields: ['a', 'b'], skip: undefined, n: 3 },
      json: { x: 1 },
      schema: ok,
    });
    expect(res.data).toEqual({ ok: true, extra: 1 });
    const req = requests[0]!;
    expect(req.url.toString()).toBe('https://jira.example.com/jira/rest/api/2/thing?fields=a%2Cb&n=3');
    expect(req.headers.get('authorization')).toBe(
      `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`,
    );
    expect(req.headers.get('content-type')).toBe('application/json');
    expect(req.body).toBe('{"x":1}');
  });

  it('sends a PAT as a bearer token', async () => {
    const { transport, requests } = setup([{ status: 204 }], { auth: patAuth({ token: ' pat-123 ' }) });
    await transport.request({ method: 'DELETE', path: '/rest/x' });
    expect(requests[0]!.headers.get('authorization')).toBe('Bearer pat-123');
  });

  it('signs OAuth 1.0a requests against the base URL while sending to the Jira URL', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const signed: string[] = [];
    const auth = oauth1Auth({
      consumerKey: 'testbridge',
      privateKey,
      accessToken: 'tok',
      sign: (input) => {
        signed.push(`${input.method} ${input.url} ${input.token}`);
        return 'OAuth oauth_signature="x"';
      },
    });
    const { transport, requests } = setup([{ status: 200, json: { ok: true } }], {
      jiraUrl: 'http://10.0.0.5:8080',
      baseUrl: 'https://jira.example.com/jira/',
      auth,
    });
    await transport.request({
      method: 'GET',
      path: '/rest/api/2/myself',
      query: { expand: 'groups' },
      schema: ok,
    });
    expect(requests[0]!.url.toString()).toBe('http://10.0.0.5:8080/rest/api/2/myself?expand=groups');
    expect(signed).toEqual(['GET https://jira.example.com/jira/rest/api/2/myself?expand=groups tok']);
    expect(requests[0]!.headers.get('authorization')).toBe('OAuth oauth_signature="x"');
  });

  it('rejects a Jira URL with credentials in it, without echoing them', () => {
    expect(() => setup([], { jiraUrl: `https://admin:${PASSWORD}@jira.example.com` })).toThrow(
      /must not contain a user name or password/,
    );
    try {
      setup([], { jiraUrl: `https://admin:${PASSWORD}@jira.example.com` });
    } catch (e) {
      expect(String((e as Error).message)).not.toContain(PASSWORD);
    }
  });
});

describe('JiraTransport call accounting', () => {
  it('reports reason and scope: client defaults, overridden per call', async () => {
    const { transport, calls } = setup(
      [
        { status: 200, json: { ok: true } },
        { status: 200, json: { ok: true } },
      ],
      { reason: 'reconcile', scope: 'mapping-7' },
    );
    await transport.request({ method: 'GET', path: '/rest/a', schema: ok });
    await transport.request({
      method: 'GET',
      path: '/rest/b',
      schema: ok,
      reason: 'webhook',
      scope: 'mapping-9',
    });
    expect(calls.map((c) => [c.path, c.reason, c.scope, c.status, c.attempt])).toEqual([
      ['/rest/a', 'reconcile', 'mapping-7', 200, 0],
      ['/rest/b', 'webhook', 'mapping-9', 200, 0],
    ]);
  });

  it('keeps working when the onCall hook throws', async () => {
    const { transport } = setup([{ status: 200, json: { ok: true } }], {
      onCall: () => {
        throw new Error('metrics backend down');
      },
    });
    expect((await transport.request({ method: 'GET', path: '/rest/a', schema: ok })).data.ok).toBe(true);
  });
});

describe('JiraTransport retries', () => {
  it('retries 429 after the Retry-After Jira asked for, then succeeds', async () => {
    const { transport, sleeps, calls } = setup([
      { status: 429, headers: { 'retry-after': '7' }, json: { errorMessages: ['Rate limit exceeded'] } },
      { status: 200, json: { ok: true } },
    ]);
    const res = await transport.request({ method: 'POST', path: '/rest/api/2/issue', json: {}, schema: ok });
    expect(res.data.ok).toBe(true);
    expect(sleeps).toEqual([7000]);
    expect(calls.map((c) => [c.status, c.attempt])).toEqual([
      [429, 0],
      [200, 1],
    ]);
  });

  it('caps a huge Retry-After', async () => {
    const { transport, sleeps } = setup(
      [
        { status: 503, headers: { 'retry-after': '86400' } },
        { status: 200, json: { ok: true } },
      ],
      { retry: { maxRetryAfterMs: 60_000 } },
    );
    await transport.request({ method: 'GET', path: '/rest/x', schema: ok });
    expect(sleeps).toEqual([60_000]);
  });

  it('backs off exponentially with jitter when Jira gives no Retry-After, then gives up with a typed error', async () => {
    const { transport, sleeps, calls } = setup(
      [
        { status: 503, text: '<html>Service Unavailable</html>' },
        { status: 503 },
        { status: 503 },
        { status: 503, json: { errorMessages: ['Jira is restarting'] } },
      ],
      { retry: { maxRetries: 3, baseDelayMs: 1000, maxDelayMs: 60_000 } },
    );
    const e = await failure(transport.request({ method: 'GET', path: '/rest/api/2/serverInfo', schema: ok }));
    // random() = 0.5 of 1000, 2000, 4000
    expect(sleeps).toEqual([500, 1000, 2000]);
    expect(calls).toHaveLength(4);
    expect(e.code).toBe('jira_unavailable');
    expect(e.jiraStatus).toBe(503);
    expect(e.status).toBe(503);
    expect(e.jiraMessages).toEqual(['Jira is restarting']);
    expect(e.hint).toMatch(/try again/i);
  });

  it('gives up on a persistent 429 with jira_rate_limited and the wait Jira asked for', async () => {
    const { transport } = setup(
      [
        { status: 429, headers: { 'retry-after': '2' } },
        { status: 429, headers: { 'retry-after': '3' } },
      ],
      { retry: { maxRetries: 1 } },
    );
    const e = await failure(transport.request({ method: 'GET', path: '/rest/x', schema: ok }));
    expect(e.code).toBe('jira_rate_limited');
    expect(e.retryAfterMs).toBe(3000);
  });

  it('retries a connection reset for an idempotent request', async () => {
    const { transport, calls } = setup([
      { error: networkFailure('ECONNRESET') },
      { status: 200, json: { ok: true } },
    ]);
    await transport.request({ method: 'GET', path: '/rest/x', schema: ok });
    expect(calls.map((c) => c.error ?? c.status)).toEqual(['ECONNRESET', 200]);
  });

  it('does not repeat a POST after a connection reset (it may have been processed)', async () => {
    const { transport, requests } = setup([{ error: networkFailure('ECONNRESET') }]);
    const e = await failure(
      transport.request({ method: 'POST', path: '/rest/api/2/issue', json: {}, schema: ok }),
    );
    expect(requests).toHaveLength(1);
    expect(e.code).toBe('jira_unreachable');
    expect(e.message).toContain('jira.example.com');
  });

  it('repeats a POST marked idempotent (search) after a reset', async () => {
    const { transport, requests } = setup([
      { error: networkFailure('ECONNRESET') },
      { status: 200, json: { ok: true } },
    ]);
    await transport.request({
      method: 'POST',
      path: '/rest/api/2/search',
      json: {},
      schema: ok,
      idempotent: true,
    });
    expect(requests).toHaveLength(2);
  });

  it('does not retry client errors', async () => {
    const { transport, requests } = setup([{ status: 400, json: { errorMessages: ['bad JQL'] } }]);
    await failure(transport.request({ method: 'GET', path: '/rest/x', schema: ok }));
    expect(requests).toHaveLength(1);
  });
});

describe('JiraTransport errors', () => {
  const cases: Array<[number, string, number]> = [
    [400, 'jira_bad_request', 400],
    [401, 'jira_unauthorized', 502],
    [403, 'jira_forbidden', 403],
    [404, 'jira_not_found', 404],
    [409, 'jira_conflict', 409],
    [500, 'jira_server_error', 502],
    [502, 'jira_unavailable', 503],
  ];
  for (const [jiraStatus, code, status] of cases) {
    it(`translates HTTP ${jiraStatus} into ${code}`, async () => {
      const { transport } = setup([
        { status: jiraStatus, json: { errorMessages: ['m1'], errors: { summary: 'required' } } },
      ]);
      const e = await failure(transport.request({ method: 'PUT', path: '/rest/api/2/issue/T-1', json: {} }));
      expect(e).toBeInstanceOf(JiraApiError);
      expect(e.code).toBe(code);
      expect(e.status).toBe(status);
      expect(e.jiraStatus).toBe(jiraStatus);
      expect(e.jiraMessages).toEqual(['m1', 'summary: required']);
      expect(e.fieldErrors).toEqual({ summary: 'required' });
      expect(e.message).toContain('PUT /rest/api/2/issue/T-1');
      expect(e.hint).toBeTruthy();
      expect(JSON.stringify(e.toBody())).not.toContain(PASSWORD);
    });
  }

  it('names the host and the certificate problem for TLS failures, with a CA hint', async () => {
    const { transport } = setup([{ error: networkFailure('SELF_SIGNED_CERT_IN_CHAIN') }]);
    const e = await failure(transport.request({ method: 'GET', path: '/rest/x' }));
    expect(e.code).toBe('jira_unreachable');
    expect(e.message).toBe(
      'Could not connect securely to jira.example.com: its TLS certificate chain ends in a self-signed (private) CA.',
    );
    expect(e.hint).toMatch(/CA certificate/);
  });

  it('says the certificate expired', async () => {
    const { transport } = setup([{ error: networkFailure('CERT_HAS_EXPIRED') }]);
    const e = await failure(transport.request({ method: 'GET', path: '/rest/x' }));
    expect(e.message).toMatch(/expired/);
  });

  it('explains DNS and refused connections', async () => {
    const dns = setup([{ error: networkFailure('ENOTFOUND') }]);
    expect((await failure(dns.transport.request({ method: 'GET', path: '/rest/x' }))).message).toBe(
      'Could not reach Jira: the host name jira.example.com could not be resolved.',
    );
    const refused = setup([{ error: networkFailure('ECONNREFUSED') }]);
    const e = await failure(refused.transport.request({ method: 'GET', path: '/rest/x' }));
    expect(e.message).toMatch(/refused the connection/);
    expect(e.hint).toMatch(/port/);
  });

  it('times out a hanging request and reports jira_timeout', async () => {
    // Never answers: only the per-request timeout can end it.
    const aborting = (_input: string | URL, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    const transport = new JiraTransport({
      jiraUrl: 'https://jira.example.com',
      auth: patAuth({ token: 't' }),
      fetch: aborting,
      timeoutMs: 20,
      retry: { maxRetries: 0 },
    });
    const e = await failure(transport.request({ method: 'GET', path: '/rest/x' }));
    expect(e.code).toBe('jira_timeout');
    expect(e.status).toBe(504);
  });

  it('passes a caller abort through without retrying', async () => {
    const controller = new AbortController();
    const aborting = (_input: string | URL, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        controller.abort(new Error('caller gave up'));
      });
    const transport = new JiraTransport({
      jiraUrl: 'https://jira.example.com',
      auth: patAuth({ token: 't' }),
      fetch: aborting,
    });
    await expect(
      transport.request({ method: 'GET', path: '/rest/x', signal: controller.signal }),
    ).rejects.toThrow('caller gave up');
  });

  it('reports an HTML login page as an invalid response, not a crash', async () => {
    const { transport } = setup([{ status: 200, text: '<html><body>Log in</body></html>' }]);
    const e = await failure(transport.request({ method: 'GET', path: '/rest/x', schema: ok }));
    expect(e.code).toBe('jira_invalid_response');
    expect(e.message).toMatch(/HTML page/);
  });

  it('refuses an answer larger than the limit, declared or streamed', async () => {
    const big = JSON.stringify({ ok: true, pad: 'x'.repeat(5000) });
    const declared = setup([{ status: 200, text: big, headers: { 'content-length': String(big.length) } }], {
      maxResponseBytes: 1000,
    });
    const e1 = await failure(declared.transport.request({ method: 'GET', path: '/rest/x', schema: ok }));
    expect(e1.code).toBe('jira_invalid_response');
    expect(e1.message).toMatch(/larger than/);
    const streamed = setup(
      [
        () =>
          new Response(
            new ReadableStream({
              start(controller) {
                for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(500)));
                controller.close();
              },
            }),
            { status: 200 },
          ),
      ],
      { maxResponseBytes: 1000 },
    );
    const e2 = await failure(streamed.transport.request({ method: 'GET', path: '/rest/x', schema: ok }));
    expect(e2.message).toMatch(/larger than/);
    const small = setup([{ status: 200, json: { ok: true, note: 'héllo ✓' } }], { maxResponseBytes: 1000 });
    expect((await small.transport.request({ method: 'GET', path: '/rest/x', schema: ok })).data).toEqual({
      ok: true,
      note: 'héllo ✓',
    });
  });

  it('reports a JSON answer of the wrong shape as an invalid response', async () => {
    const { transport } = setup([{ status: 200, json: { ok: 'yes' } }]);
    const e = await failure(transport.request({ method: 'GET', path: '/rest/x', schema: ok }));
    expect(e.code).toBe('jira_invalid_response');
    expect(e.message).toContain('ok:');
  });

  it('does not follow redirects (credentials would travel) and says where Jira points', async () => {
    const { transport } = setup([{ status: 302, headers: { location: 'https://sso.example.com/login' } }]);
    const e = await failure(transport.request({ method: 'GET', path: '/rest/x', schema: ok }));
    expect(e.message).toContain('sso.example.com');
    expect(e.hint).toMatch(/Jira URL/);
  });
});

describe('JiraTransport 401 explanations', () => {
  it('recognises the CAPTCHA lock of Server/DC Basic auth', async () => {
    const { transport } = setup([
      {
        status: 401,
        json: { errorMessages: [] },
        headers: { 'x-seraph-loginreason': 'AUTHENTICATION_DENIED' },
      },
    ]);
    const e = await failure(transport.request({ method: 'GET', path: '/rest/api/2/myself' }));
    expect(e.code).toBe('jira_unauthorized');
    expect(e.authProblem).toBe('captcha_required');
    expect(e.hint).toMatch(/CAPTCHA/);
  });

  it("recognises Cloud's refusal of account passwords", async () => {
    const { transport } = setup([
      {
        status: 401,
        json: {
          errorMessages: ['Basic authentication with passwords is deprecated.  For more information, see: …'],
        },
      },
    ]);
    const e = await failure(transport.request({ method: 'GET', path: '/rest/api/2/myself' }));
    expect(e.authProblem).toBe('password_not_accepted');
    expect(e.hint).toMatch(/API token/);
    expect(e.message).not.toContain(PASSWORD);
  });

  it('falls back to the plain translation when there is nothing to explain', async () => {
    const { transport } = setup([{ status: 401, json: { errorMessages: ['You are not authenticated.'] } }]);
    const e = await failure(transport.request({ method: 'GET', path: '/rest/api/2/myself' }));
    expect(e.authProblem).toBeUndefined();
    expect(e.jiraMessages).toEqual(['You are not authenticated.']);
  });
});

describe('JiraTransport 401 handling', () => {
  function rotatingAuth() {
    let token = 'old';
    let refreshes = 0;
    const auth: JiraAuth = {
      kind: 'oauth2',
      authorization: async () => `Bearer ${token}`,
      onUnauthorized: async (rejected) => {
        refreshes++;
        if (rejected === `Bearer ${token}`) token = `new${refreshes}`;
        return true;
      },
    };
    return { auth, refreshes: () => refreshes };
  }

  it('refreshes once on 401 and retries with the new credential', async () => {
    const a = rotatingAuth();
    const { transport, requests } = setup([{ status: 401 }, { status: 200, json: { ok: true } }], {
      auth: a.auth,
    });
    await transport.request({ method: 'GET', path: '/rest/x', schema: ok });
    expect(requests.map((r) => r.headers.get('authorization'))).toEqual(['Bearer old', 'Bearer new1']);
    expect(a.refreshes()).toBe(1);
  });

  it('does not loop when the refreshed credential is refused too', async () => {
    const a = rotatingAuth();
    const { transport, requests } = setup([{ status: 401 }, { status: 401 }], { auth: a.auth });
    const e = await failure(transport.request({ method: 'GET', path: '/rest/x', schema: ok }));
    expect(e.code).toBe('jira_unauthorized');
    expect(requests).toHaveLength(2);
  });
});
