/**
 * Hostile input never makes the data side answer 5xx: every endpoint gets random JSON bodies,
 * random query strings and random path ids, as admin (who passes every permission check and
 * so reaches the deepest validation).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeTestApp } from './testing.js';

const json = fc.jsonValue({ maxDepth: 4 });
const fieldsLike = fc.dictionary(
  fc.constantFrom(
    'project',
    'issuetype',
    'summary',
    'description',
    'priority',
    'labels',
    'components',
    'fixVersions',
    'versions',
    'assignee',
    'reporter',
    'parent',
    'duedate',
    'environment',
    'resolution',
    'customfield_1',
  ),
  json,
);
const bodies = fc.oneof(
  json,
  fc.record({ fields: fieldsLike, update: fc.dictionary(fc.string(), json), transition: json }),
  fc.string(),
);
const ids = fc.oneof(
  fc.constantFrom('DEMO-1', 'SIM-2', '10000', '10001', '10002', '1', '0'),
  fc.string({ maxLength: 12 }),
);

const endpoints: [string, (id: string) => string][] = [
  ['POST', () => '/rest/api/2/issue'],
  ['POST', () => '/rest/api/3/issue'],
  ['PUT', (id) => `/rest/api/2/issue/${id}`],
  ['PUT', (id) => `/rest/api/3/issue/${id}`],
  ['PUT', (id) => `/rest/api/2/issue/${id}/assignee`],
  ['POST', (id) => `/rest/api/2/issue/${id}/transitions`],
  ['POST', (id) => `/rest/api/2/issue/${id}/comment`],
  ['POST', (id) => `/rest/api/3/issue/${id}/comment`],
  ['PUT', (id) => `/rest/api/2/issue/${id}/comment/10000`],
  ['POST', () => '/rest/api/2/issueLink'],
  ['POST', () => '/rest/api/2/version'],
  ['PUT', (id) => `/rest/api/2/version/${id}`],
  ['POST', (id) => `/rest/api/2/version/${id}/move`],
  ['POST', (id) => `/rest/api/2/version/${id}/removeAndSwap`],
  ['POST', () => '/rest/api/2/project'],
  ['PUT', (id) => `/rest/api/2/project/${id}`],
  ['POST', () => '/rest/webhooks/1.0/webhook'],
  ['PUT', () => '/rest/webhooks/1.0/webhook/1'],
  ['POST', () => '/rest/api/2/webhook'],
  ['PUT', () => '/rest/api/2/webhook/refresh'],
  ['DELETE', () => '/rest/api/2/webhook'],
  ['POST', () => '/rest/api/3/search/jql'],
  ['POST', (id) => `/rest/sim/1.0/issues/${id}/move`],
];

describe('fuzzing the data endpoints', () => {
  it('answers hostile JSON bodies with 4xx, never 5xx', async () => {
    for (const flavor of ['server', 'cloud'] as const) {
      const t = makeTestApp(flavor, { seedIssues: 20 });
      await t.call('/rest/api/2/issue/DEMO-1/comment', { json: { body: 'seed comment' } });
      await t.call('/rest/webhooks/1.0/webhook', {
        json: { name: 'h', url: 'http://127.0.0.1:1/x', events: [] },
      });
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...endpoints), ids, bodies, async ([method, path], id, body) => {
          const response = await t.request(path(encodeURIComponent(id)), {
            method,
            body: typeof body === 'string' ? body : JSON.stringify(body),
            headers: { 'content-type': 'application/json' },
            authKind: 'oauth2',
          });
          expect(response.status, `${method} ${path(id)} ${JSON.stringify(body)}`).toBeLessThan(500);
        }),
        { numRuns: 400 },
      );
      await t.data.close();
    }
  });

  it('answers hostile query strings on GET endpoints with 4xx, never 5xx', async () => {
    const t = makeTestApp('server', { seedIssues: 20 });
    const gets = [
      '/rest/api/2/search',
      '/rest/api/2/issue/DEMO-1',
      '/rest/api/2/issue/createmeta',
      '/rest/api/2/issue/createmeta/DEMO/issuetypes',
      '/rest/api/2/project/DEMO/version',
      '/rest/api/2/issue/DEMO-1/comment',
      '/rest/api/2/issue/DEMO-1/transitions',
      '/rest/api/2/issue/DEMO-1/changelog',
    ];
    const param = fc.constantFrom(
      'jql',
      'startAt',
      'maxResults',
      'fields',
      'expand',
      'validateQuery',
      'status',
      'projectKeys',
      'nextPageToken',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...gets),
        fc.array(fc.tuple(param, fc.string({ maxLength: 30 })), { maxLength: 4 }),
        async (path, params) => {
          const response = await t.request(`${path}?${new URLSearchParams(params)}`);
          expect(response.status, `${path}?${new URLSearchParams(params)}`).toBeLessThan(500);
        },
      ),
      { numRuns: 400 },
    );
    const cloud = makeTestApp('cloud', { seedIssues: 5 });
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 40 }), fc.string({ maxLength: 20 }), async (jql, token) => {
        const r = await cloud.request(
          `/rest/api/3/search/jql?${new URLSearchParams({ jql, nextPageToken: token })}`,
        );
        expect(r.status).toBeLessThan(500);
      }),
      { numRuns: 200 },
    );
  });
});
