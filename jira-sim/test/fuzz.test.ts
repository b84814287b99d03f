import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JiraSim, createJiraSim } from '../src/server.js';
import { createLink, rsaKeyPair } from './helpers.js';

/** Bad credentials and odd requests must get a 4xx, never a 500 or a crash. */
describe('jira-sim under hostile input', () => {
  let sim: JiraSim;
  beforeAll(async () => {
    sim = await createJiraSim({ flavor: 'dc10', contextPath: '/jira' });
    await createLink(sim, 'fuzz', rsaKeyPair().publicKeyBody);
  });
  afterAll(() => sim.close());

  const paths = fc.constantFrom(
    '/rest/api/2/myself',
    '/rest/api/2/mypermissions',
    '/plugins/servlet/oauth/request-token',
    '/plugins/servlet/oauth/access-token',
    '/plugins/servlet/oauth/authorize',
    '/rest/oauth2/latest/token',
    '/rest/oauth2/latest/authorize',
    '/rest/pat/latest/tokens',
    '/login.jsp',
    '/rest/sim/1.0/application-links',
    '/rest/sim/1.0/faults',
    '/rest/sim/1.0/users',
    '/rest/sim/1.0/clock',
  );
  const authorization = fc.oneof(
    fc.string(),
    fc.string().map((s) => `Basic ${s}`),
    fc.string().map((s) => `Bearer ${s}`),
    fc.string().map((s) => `OAuth ${s}`),
    fc
      .dictionary(
        fc.constantFrom(
          'oauth_consumer_key',
          'oauth_token',
          'oauth_signature',
          'oauth_signature_method',
          'oauth_timestamp',
          'oauth_nonce',
          'oauth_version',
          'realm',
        ),
        fc.string(),
      )
      .map(
        (params) =>
          `OAuth ${Object.entries(params)
            .map(([k, v]) => `${k}="${encodeURIComponent(v)}"`)
            .join(', ')}`,
      ),
  );

  it('answers every request below 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
        paths,
        fc.option(authorization, { nil: undefined }),
        fc.option(fc.string(), { nil: undefined }),
        fc.constantFrom(
          'application/json',
          'application/x-www-form-urlencoded',
          'text/plain',
          'multipart/form-data; boundary=x',
        ),
        fc.string({ maxLength: 20 }),
        async (method, path, auth, body, type, query) => {
          const headers: Record<string, string> = { 'content-type': type };
          if (auth !== undefined && /^[\t\x20-\x7e]*$/.test(auth)) headers.authorization = auth;
          const response = await fetch(`${sim.url}${path}?q=${encodeURIComponent(query)}`, {
            method,
            headers,
            ...(method === 'GET' || body === undefined ? {} : { body }),
            redirect: 'manual',
          });
          await response.arrayBuffer();
          expect(response.status).toBeLessThan(500);
        },
      ),
      { numRuns: 300 },
    );
  });
});
