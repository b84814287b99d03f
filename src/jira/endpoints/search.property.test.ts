import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { patAuth } from '../auth.js';
import { JiraClient } from '../client.js';
import type { JiraDeployment } from '../deployment.js';
import type { FetchLike } from '../transport.js';

/** A minimal Jira search over `total` issues that caps page size the way real Jira does. */
function fakeSearch(total: number, cap: number, cloud: boolean): { fetch: FetchLike; calls: () => number } {
  let calls = 0;
  const issues = Array.from({ length: total }, (_, i) => ({ id: String(10000 + i), key: `P-${i + 1}` }));
  const fetch: FetchLike = async (_url, init) => {
    calls++;
    const body = JSON.parse(String(init?.body)) as {
      maxResults: number;
      startAt?: number;
      nextPageToken?: string;
    };
    const size = Math.min(body.maxResults, cap);
    if (cloud) {
      const start = body.nextPageToken ? Number(body.nextPageToken) : 0;
      const page = issues.slice(start, start + size);
      const next = start + page.length;
      const isLast = next >= total;
      return Response.json({ issues: page, isLast, ...(isLast ? {} : { nextPageToken: String(next) }) });
    }
    const start = body.startAt ?? 0;
    return Response.json({
      startAt: start,
      maxResults: size,
      total,
      issues: issues.slice(start, start + size),
    });
  };
  return { fetch, calls: () => calls };
}

const CLOUD: JiraDeployment = { cloud: true, deploymentType: 'Cloud', major: 1001, minor: 0 };
const DC: JiraDeployment = { cloud: false, deploymentType: 'DataCenter', major: 9, minor: 12 };

describe('search paging (property)', () => {
  for (const deployment of [CLOUD, DC]) {
    it(`${deployment.deploymentType}: every issue exactly once, in order, whatever Jira's page cap`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.nat(260),
          fc.integer({ min: 1, max: 120 }),
          fc.integer({ min: 1, max: 120 }),
          async (total, cap, pageSize) => {
            const fake = fakeSearch(total, cap, deployment.cloud);
            const client = new JiraClient({
              jiraUrl: 'https://jira.example.com',
              auth: patAuth({ token: 't' }),
              fetch: fake.fetch,
              deployment,
            });
            const keys: string[] = [];
            for await (const issue of client.searchIssues('project = P', { pageSize })) keys.push(issue.key);
            expect(keys).toEqual(Array.from({ length: total }, (_, i) => `P-${i + 1}`));
            // One request per page, plus at most one empty page at the end.
            const perPage = Math.min(cap, pageSize);
            expect(fake.calls()).toBeLessThanOrEqual(Math.max(1, Math.ceil(total / perPage)) + 1);
          },
        ),
        { numRuns: 60 },
      );
    });
  }
});
