import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JiraSim, createJiraSim } from '../src/server.js';
import {
  ADMIN,
  type KeyPair,
  basic,
  createLink,
  oauthDance,
  oauthFetch,
  parseForm,
  rsaKeyPair,
} from './helpers.js';

const keys: KeyPair = rsaKeyPair();
const otherKeys: KeyPair = rsaKeyPair();

describe('OAuth 1.0a provider', () => {
  let sim: JiraSim;
  let servlet: string;
  beforeAll(async () => {
    sim = await createJiraSim({ flavor: 'server', contextPath: '/jira' });
    servlet = `${sim.url}/plugins/servlet/oauth`;
    await createLink(sim, 'testbridge', keys.publicKeyBody);
  });
  afterAll(() => sim.close());

  const me = (token: string, privateKeyPem = keys.privateKeyPem, consumerKey = 'testbridge') =>
    oauthFetch('GET', `${sim.url}/rest/api/2/myself`, { consumerKey, privateKeyPem, token });

  it('runs the dance with oob: request token, Allow on the page, verification code, access token', async () => {
    const { token, response } = await oauthDance(sim, 'testbridge', keys.privateKeyPem);
    expect(response.oauth_expires_in).toBe('157680000');
    expect(response.oauth_authorization_expires_in).toBe('157680000');
    expect(response.oauth_session_handle).toBeTruthy();
    expect(response.oauth_token_secret).toBeTruthy();
    const myself = await me(token);
    expect(myself.status).toBe(200);
    expect(((await myself.json()) as { name: string }).name).toBe('admin');
  });

  it('shows the verification code in quotes as Jira does', async () => {
    const requestToken = await oauthFetch('POST', `${servlet}/request-token`, {
      consumerKey: 'testbridge',
      privateKeyPem: keys.privateKeyPem,
      oauth: { oauth_callback: 'oob' },
    });
    const { oauth_token, oauth_callback_confirmed } = parseForm(await requestToken.text());
    expect(oauth_callback_confirmed).toBe('true');
    const approved = await fetch(`${servlet}/authorize`, {
      method: 'POST',
      headers: { ...ADMIN, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ oauth_token: oauth_token!, approve: 'Allow' }),
    });
    const text = (await approved.text()).replace(/<[^>]+>/g, '');
    expect(text).toMatch(/Your verification code is '[A-Za-z0-9]{6}'\./);
  });

  it('redirects to the callback with oauth_token and oauth_verifier, after signing in on the page', async () => {
    const requestToken = await oauthFetch('POST', `${servlet}/request-token`, {
      consumerKey: 'testbridge',
      privateKeyPem: keys.privateKeyPem,
      oauth: { oauth_callback: 'http://127.0.0.1:9999/oauth/callback?connection=7' },
    });
    const { oauth_token: token } = parseForm(await requestToken.text());
    const page = await fetch(`${servlet}/authorize?oauth_token=${encodeURIComponent(token!)}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('name="os_username"');
    expect(html).toContain(`value="${token}"`);
    const signIn = await fetch(`${servlet}/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ oauth_token: token!, os_username: 'developer', os_password: 'developer' }),
    });
    expect(signIn.status).toBe(200);
    expect(await signIn.text()).toContain('name="approve" value="Allow"');
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const allow = await fetch(`${servlet}/authorize`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ oauth_token: token!, approve: 'Allow' }),
      redirect: 'manual',
    });
    expect(allow.status).toBe(302);
    const location = new URL(allow.headers.get('location')!);
    expect(location.origin + location.pathname).toBe('http://127.0.0.1:9999/oauth/callback');
    expect(location.searchParams.get('connection')).toBe('7');
    expect(location.searchParams.get('oauth_token')).toBe(token);
    const verifier = location.searchParams.get('oauth_verifier')!;
    const wrongVerifier = await oauthFetch('POST', `${servlet}/access-token`, {
      consumerKey: 'testbridge',
      privateKeyPem: keys.privateKeyPem,
      token: token!,
      oauth: { oauth_verifier: 'wrong1' },
    });
    expect(parseForm(await wrongVerifier.text()).oauth_problem).toBe('token_rejected');
    const access = await oauthFetch('POST', `${servlet}/access-token`, {
      consumerKey: 'testbridge',
      privateKeyPem: keys.privateKeyPem,
      token: token!,
      oauth: { oauth_verifier: verifier },
    });
    const accessToken = parseForm(await access.text()).oauth_token!;
    expect(((await (await me(accessToken)).json()) as { name: string }).name).toBe('developer');
    // A request token is good for one exchange only.
    const again = await oauthFetch('POST', `${servlet}/access-token`, {
      consumerKey: 'testbridge',
      privateKeyPem: keys.privateKeyPem,
      token: token!,
      oauth: { oauth_verifier: verifier },
    });
    expect(parseForm(await again.text()).oauth_problem).toBe('token_rejected');
  });

  it('answers permission_denied after Deny, and permission_unknown before any decision', async () => {
    const requestToken = await oauthFetch('POST', `${servlet}/request-token`, {
      consumerKey: 'testbridge',
      privateKeyPem: keys.privateKeyPem,
      oauth: { oauth_callback: 'oob' },
    });
    const { oauth_token: token } = parseForm(await requestToken.text());
    const early = await oauthFetch('POST', `${servlet}/access-token`, {
      consumerKey: 'testbridge',
      privateKeyPem: keys.privateKeyPem,
      token: token!,
      oauth: { oauth_verifier: 'x' },
    });
    expect(parseForm(await early.text()).oauth_problem).toBe('permission_unknown');
    const deny = await fetch(`${servlet}/authorize`, {
      method: 'POST',
      headers: { ...ADMIN, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ oauth_token: token!, deny: 'Deny' }),
    });
    expect(deny.status).toBe(200);
    const access = await oauthFetch('POST', `${servlet}/access-token`, {
      consumerKey: 'testbridge',
      privateKeyPem: keys.privateKeyPem,
      token: token!,
      oauth: { oauth_verifier: 'denied' },
    });
    expect(access.status).toBe(401);
    expect(parseForm(await access.text()).oauth_problem).toBe('permission_denied');
  });

  it('answers signature_invalid in Jira form, echoing the base string, when signed with another key', async () => {
    const { token } = await oauthDance(sim, 'testbridge', keys.privateKeyPem);
    const response = await me(token, otherKeys.privateKeyPem);
    expect(response.status).toBe(401);
    const body = parseForm(await response.text());
    expect(body.oauth_problem).toBe('signature_invalid');
    expect(body.oauth_signature).toBeTruthy();
    expect(body.oauth_signature_base_string).toMatch(
      /^GET&http%3A%2F%2F127\.0\.0\.1%3A\d+%2Fjira%2Frest%2Fapi%2F2%2Fmyself&/,
    );
    const header = response.headers.get('www-authenticate')!;
    expect(header).toMatch(new RegExp(`^OAuth realm="${sim.baseUrl}", oauth_problem="signature_invalid"`));
    expect(header).toContain('oauth_signature_base_string="GET%26');
  });

  it('answers timestamp_refused with the acceptable window, nonce_used on replay', async () => {
    const { token } = await oauthDance(sim, 'testbridge', keys.privateKeyPem);
    const old = Math.floor(Date.now() / 1000) - 600;
    const stale = await oauthFetch('GET', `${sim.url}/rest/api/2/myself`, {
      consumerKey: 'testbridge',
      privateKeyPem: keys.privateKeyPem,
      token,
      timestamp: old,
    });
    expect(stale.status).toBe(401);
    const body = parseForm(await stale.text());
    expect(body.oauth_problem).toBe('timestamp_refused');
    const [min, max] = body.oauth_acceptable_timestamps!.split('-').map(Number);
    expect(max! - min!).toBe(600);
    expect(min!).toBeGreaterThan(old);

    const fixed = {
      consumerKey: 'testbridge',
      privateKeyPem: keys.privateKeyPem,
      token,
      nonce: 'same-nonce-1',
    };
    const timestamp = Math.floor(Date.now() / 1000);
    expect((await oauthFetch('GET', `${sim.url}/rest/api/2/myself`, { ...fixed, timestamp })).status).toBe(
      200,
    );
    const replay = await oauthFetch('GET', `${sim.url}/rest/api/2/myself`, { ...fixed, timestamp });
    expect(parseForm(await replay.text()).oauth_problem).toBe('nonce_used');
  });

  it('rejects HMAC-SHA1, unknown consumers, unknown and revoked tokens', async () => {
    const hmac = await oauthFetch('POST', `${servlet}/request-token`, {
      consumerKey: 'testbridge',
      privateKeyPem: keys.privateKeyPem,
      signatureMethod: 'HMAC-SHA1',
      oauth: { oauth_callback: 'oob' },
    });
    expect(hmac.status).toBe(401);
    expect(parseForm(await hmac.text())).toMatchObject({
      oauth_problem: 'signature_method_rejected',
      oauth_acceptable_signature_methods: 'RSA-SHA1',
    });
    const plaintext = await oauthFetch('GET', `${sim.url}/rest/api/2/myself`, {
      consumerKey: 'testbridge',
      privateKeyPem: keys.privateKeyPem,
      token: 'x',
      signatureMethod: 'PLAINTEXT',
    });
    expect(parseForm(await plaintext.text()).oauth_problem).toBe('signature_method_rejected');
    const unknownConsumer = await oauthFetch('POST', `${servlet}/request-token`, {
      consumerKey: 'nobody',
      privateKeyPem: keys.privateKeyPem,
      oauth: { oauth_callback: 'oob' },
    });
    expect(parseForm(await unknownConsumer.text()).oauth_problem).toBe('consumer_key_unknown');
    const unknownToken = await me('no-such-token');
    expect(parseForm(await unknownToken.text()).oauth_problem).toBe('token_rejected');

    const { token } = await oauthDance(sim, 'testbridge', keys.privateKeyPem);
    expect((await me(token)).status).toBe(200);
    const revoke = await fetch(`${sim.url}/rest/sim/1.0/oauth/tokens/${encodeURIComponent(token)}`, {
      method: 'DELETE',
    });
    expect(revoke.status).toBe(204);
    const after = await me(token);
    expect(after.status).toBe(401);
    expect(parseForm(await after.text()).oauth_problem).toBe('token_rejected');
  });

  it("lets users revoke their own tokens on Jira's OAuth access tokens page", async () => {
    const { token } = await oauthDance(
      sim,
      'testbridge',
      keys.privateKeyPem,
      basic('developer', 'developer'),
    );
    const pageUrl = `${sim.url}/plugins/servlet/oauth/users/access-tokens`;
    expect((await fetch(pageUrl)).status).toBe(401);
    const list = await (await fetch(pageUrl, { headers: basic('developer', 'developer') })).text();
    expect(list).toContain('data-consumer-key="testbridge"');
    const someoneElse = await fetch(pageUrl, {
      method: 'POST',
      headers: { ...basic('tester', 'tester'), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, revoke: 'Revoke Access' }),
    });
    expect(await someoneElse.text()).toContain('no longer exists');
    expect((await me(token)).status).toBe(200);
    const revoked = await fetch(pageUrl, {
      method: 'POST',
      headers: { ...basic('developer', 'developer'), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, revoke: 'Revoke Access' }),
    });
    expect((await revoked.text()).replaceAll('&#39;', "'")).toContain(
      "Access for 'Testbridge' has been revoked.",
    );
    expect(parseForm(await (await me(token)).text()).oauth_problem).toBe('token_rejected');
  });

  it('asks for oauth_callback and refuses a missing parameter with parameter_absent', async () => {
    const noCallback = await oauthFetch('POST', `${servlet}/request-token`, {
      consumerKey: 'testbridge',
      privateKeyPem: keys.privateKeyPem,
    });
    expect(parseForm(await noCallback.text())).toMatchObject({
      oauth_problem: 'parameter_absent',
      oauth_parameters_absent: 'oauth_callback',
    });
    const bare = await fetch(`${servlet}/request-token`, {
      method: 'POST',
      headers: { authorization: 'OAuth oauth_consumer_key="testbridge"' },
    });
    expect(bare.status).toBe(401);
    expect(parseForm(await bare.text()).oauth_problem).toBe('parameter_absent');
  });

  it('checks signed form bodies and query parameters', async () => {
    const { token } = await oauthDance(sim, 'testbridge', keys.privateKeyPem);
    const query = await oauthFetch(
      'GET',
      `${sim.url}/rest/api/2/mypermissions?permissions=BROWSE_PROJECTS%2CEDIT_ISSUES`,
      {
        consumerKey: 'testbridge',
        privateKeyPem: keys.privateKeyPem,
        token,
      },
    );
    expect(query.status).toBe(200);
    // Tampering with a signed query parameter breaks the signature.
    const tampered = await oauthFetch('GET', `${sim.url}/rest/api/2/mypermissions?permissions=ADMINISTER`, {
      consumerKey: 'testbridge',
      privateKeyPem: keys.privateKeyPem,
      token,
      signedUrl: `${sim.url}/rest/api/2/mypermissions?permissions=BROWSE_PROJECTS`,
    });
    expect(parseForm(await tampered.text()).oauth_problem).toBe('signature_invalid');
    const form = await oauthFetch('POST', `${servlet}/request-token`, {
      consumerKey: 'testbridge',
      privateKeyPem: keys.privateKeyPem,
      oauth: { oauth_callback: 'oob' },
      form: { extra: 'a b+c' },
    });
    expect(form.status).toBe(200);
  });

  it('checks timestamps against the simulated clock (clock skew)', async () => {
    const { token } = await oauthDance(sim, 'testbridge', keys.privateKeyPem);
    sim.ctx.clock.advance(10 * 60 * 1000);
    try {
      const skewed = await me(token);
      expect(parseForm(await skewed.text()).oauth_problem).toBe('timestamp_refused');
    } finally {
      sim.ctx.clock.advance(-10 * 60 * 1000);
    }
    expect((await me(token)).status).toBe(200);
  });

  it('expires access tokens after five years of simulated time', async () => {
    const { token } = await oauthDance(sim, 'testbridge', keys.privateKeyPem);
    sim.ctx.clock.advance(157_680_001_000);
    try {
      // Sign with the simulated time, so only the token's age is wrong.
      const expired = await oauthFetch('GET', `${sim.url}/rest/api/2/myself`, {
        consumerKey: 'testbridge',
        privateKeyPem: keys.privateKeyPem,
        token,
        timestamp: Math.floor(sim.ctx.clock.now() / 1000),
      });
      expect(parseForm(await expired.text()).oauth_problem).toBe('token_expired');
    } finally {
      sim.ctx.clock.advance(-157_680_001_000);
    }
  });
});

describe('OAuth 1.0a behind a reverse proxy', () => {
  it('checks signatures against the base URL, not the address it listens on', async () => {
    const sim = await createJiraSim({
      flavor: 'dc9',
      baseUrl: 'https://jira.example.com/jira',
      contextPath: '/jira',
    });
    try {
      await createLink(sim, 'proxied', keys.publicKeyPem);
      const listened = await oauthFetch('POST', `${sim.url}/plugins/servlet/oauth/request-token`, {
        consumerKey: 'proxied',
        privateKeyPem: keys.privateKeyPem,
        oauth: { oauth_callback: 'oob' },
      });
      const problem = parseForm(await listened.text());
      expect(problem.oauth_problem).toBe('signature_invalid');
      expect(problem.oauth_signature_base_string).toContain(
        'https%3A%2F%2Fjira.example.com%2Fjira%2Fplugins',
      );
      const proxied = await oauthFetch('POST', `${sim.url}/plugins/servlet/oauth/request-token`, {
        consumerKey: 'proxied',
        privateKeyPem: keys.privateKeyPem,
        oauth: { oauth_callback: 'oob' },
        signedUrl: 'https://jira.example.com/jira/plugins/servlet/oauth/request-token',
      });
      expect(proxied.status).toBe(200);
      expect(listened.headers.get('www-authenticate')).toContain('realm="https://jira.example.com/jira"');
    } finally {
      await sim.close();
    }
  });
});

describe('application links', () => {
  let sim: JiraSim;
  beforeAll(async () => {
    sim = await createJiraSim({ flavor: 'cloud' });
  });
  afterAll(() => sim.close());

  const post = (body: unknown) =>
    fetch(`${sim.url}/rest/sim/1.0/application-links`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const valid = {
    name: 'TB',
    applicationUrl: 'https://tb.example.com',
    consumerKey: 'k1',
    consumerName: 'TB',
  };

  it('accepts the bare key body and the whole PEM, and lists the links', async () => {
    expect((await post({ ...valid, publicKey: keys.publicKeyBody })).status).toBe(201);
    expect((await post({ ...valid, consumerKey: 'k2', publicKey: `\n${keys.publicKeyPem}\n` })).status).toBe(
      201,
    );
    const list = (await (await fetch(`${sim.url}/rest/sim/1.0/application-links`)).json()) as {
      consumerKey: string;
      publicKey: string;
    }[];
    expect(list.map((link) => link.consumerKey)).toEqual(['k1', 'k2']);
    expect(list[1]!.publicKey).toBe(keys.publicKeyBody);
  });

  it('refuses garbage, a private key (without echoing it), duplicates and bad URLs with field errors', async () => {
    const garbage = await post({ ...valid, consumerKey: 'k3', publicKey: 'hello world' });
    expect(garbage.status).toBe(400);
    expect(((await garbage.json()) as { errors: Record<string, string> }).errors.publicKey).toMatch(
      /could not be read/,
    );
    const privateKey = await post({ ...valid, consumerKey: 'k3', publicKey: keys.privateKeyPem });
    expect(privateKey.status).toBe(400);
    const text = await privateKey.text();
    expect(text).toContain('private key');
    expect(text).not.toContain(keys.privateKeyPem.split('\n')[1]!);
    const duplicate = await post({ ...valid, publicKey: keys.publicKeyBody });
    expect(((await duplicate.json()) as { errors: Record<string, string> }).errors.consumerKey).toMatch(
      /already exists/,
    );
    const badUrl = await post({
      ...valid,
      consumerKey: 'k4',
      applicationUrl: 'not a url',
      publicKey: keys.publicKeyBody,
    });
    expect(((await badUrl.json()) as { errors: Record<string, string> }).errors.applicationUrl).toBeTruthy();
    expect((await post([1, 2])).status).toBe(400);
  });

  it('creates a link through the web pages as the seed describes, for administrators only', async () => {
    const admin = sim.ctx.findUser('admin')!;
    const anonymous = await fetch(`${sim.url}/plugins/servlet/applinks/listApplicationLinks`);
    expect(anonymous.status).toBe(401);
    const signIn = await fetch(`${sim.url}/login.jsp`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'os_username=admin&os_password=admin',
      redirect: 'manual',
    });
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    expect(admin.name).toBe('admin');
    const start = await fetch(
      `${sim.url}/plugins/servlet/applinks/create?applicationUrl=https%3A%2F%2Fzephyr.example.com%2Fflex`,
      {
        headers: { cookie },
      },
    );
    expect(start.status).toBe(200);
    expect(await start.text()).toContain('value="https://zephyr.example.com/flex"');
    const form = {
      applicationUrl: 'https://zephyr.example.com/flex',
      name: 'Zephyr Ent',
      consumerKey: 'Zephyr Ent',
      consumerName: 'Zephyr Ent',
      publicKey: keys.publicKeyBody,
    };
    const withoutIncoming = await fetch(`${sim.url}/plugins/servlet/applinks/create`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });
    expect(withoutIncoming.status).toBe(400);
    expect(await withoutIncoming.text()).toContain('Create incoming link');
    const created = await fetch(`${sim.url}/plugins/servlet/applinks/create`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...form, createIncoming: 'on' }),
    });
    expect(created.status).toBe(200);
    expect(await created.text()).toContain('data-consumer-key="Zephyr Ent"');
    // The consumer key with a space works for the dance, as in the seed.
    const { token } = await oauthDance(sim, 'Zephyr Ent', keys.privateKeyPem, {
      authorization: `Basic ${Buffer.from(`${admin.emailAddress}:${admin.apiToken}`).toString('base64')}`,
    });
    const myself = await oauthFetch('GET', `${sim.url}/rest/api/3/myself`, {
      consumerKey: 'Zephyr Ent',
      privateKeyPem: keys.privateKeyPem,
      token,
    });
    expect(((await myself.json()) as { accountId: string }).accountId).toBe(admin.accountId);

    const tester = await fetch(`${sim.url}/plugins/servlet/applinks/listApplicationLinks`, {
      headers: {
        authorization: `Basic ${Buffer.from(`tester@example.com:${sim.ctx.findUser('tester')!.apiToken}`).toString('base64')}`,
      },
    });
    expect(tester.status).toBe(403);
  });

  it('ends authorizations when the link is deleted', async () => {
    await post({ ...valid, consumerKey: 'short-lived', publicKey: keys.publicKeyBody });
    const admin = sim.ctx.findUser('admin')!;
    const { token } = await oauthDance(sim, 'short-lived', keys.privateKeyPem, {
      authorization: `Basic ${Buffer.from(`${admin.emailAddress}:${admin.apiToken}`).toString('base64')}`,
    });
    const links = (await (await fetch(`${sim.url}/rest/sim/1.0/application-links`)).json()) as {
      id: string;
      consumerKey: string;
    }[];
    const id = links.find((link) => link.consumerKey === 'short-lived')!.id;
    expect(
      (await fetch(`${sim.url}/rest/sim/1.0/application-links/${id}`, { method: 'DELETE' })).status,
    ).toBe(204);
    const after = await oauthFetch('GET', `${sim.url}/rest/api/2/myself`, {
      consumerKey: 'short-lived',
      privateKeyPem: keys.privateKeyPem,
      token,
    });
    expect(parseForm(await after.text()).oauth_problem).toBe('consumer_key_unknown');
  });
});
