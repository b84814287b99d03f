import { describe, expect, it } from 'vitest';
import { makeTestApp } from './testing.js';

type J = Record<string, unknown>;
type ServerPage = {
  startAt: number;
  maxResults: number;
  total: number;
  issues: { id: string; key: string; fields?: J }[];
  warningMessages?: string[];
};
type CloudPage = {
  issues: { id: string; key?: string; fields?: J }[];
  nextPageToken?: string;
  isLast: boolean;
};

const q = (jql: string) => encodeURIComponent(jql);

describe('Server/DC search (/rest/api/2/search)', () => {
  const t = makeTestApp('server', { seedIssues: 300 });

  it('pages with startAt/maxResults/total and selects fields', async () => {
    const first = await t.call<ServerPage>(
      `/rest/api/2/search?jql=${q('project = DEMO ORDER BY key ASC')}&maxResults=20&fields=summary`,
    );
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ startAt: 0, maxResults: 20, total: 150 });
    expect(first.body.issues.map((i) => i.key).slice(0, 3)).toEqual(['DEMO-1', 'DEMO-2', 'DEMO-3']);
    expect(Object.keys(first.body.issues[0]!.fields!)).toEqual(['summary']);
    const keys = new Set<string>();
    for (let startAt = 0; startAt < 150; startAt += 40) {
      const page = await t.call<ServerPage>(
        `/rest/api/2/search?jql=${q('project = DEMO ORDER BY key ASC')}&startAt=${startAt}&maxResults=40&fields=id`,
      );
      for (const issue of page.body.issues) keys.add(issue.key);
    }
    expect(keys.size).toBe(150);
    // python-jira sends fields as repeated parameters and validateQuery=True.
    const repeated = await t.call<ServerPage>(
      `/rest/api/2/search?jql=${q('key = SIM-1')}&fields=summary&fields=status&validateQuery=True`,
    );
    expect(Object.keys(repeated.body.issues[0]!.fields!).sort()).toEqual(['status', 'summary']);
    const posted = await t.call<ServerPage>('/rest/api/2/search', {
      json: {
        jql: 'project = SIM AND issuetype = Bug ORDER BY created DESC',
        maxResults: 5,
        fields: ['issuetype', 'created'],
      },
    });
    expect(posted.body.issues.every((i) => (i.fields!.issuetype as J).name === 'Bug')).toBe(true);
    const created = posted.body.issues.map((i) =>
      Date.parse(String(i.fields!.created).replace('+0000', 'Z')),
    );
    expect([...created].sort((a, b) => b - a)).toEqual(created);
    expect((await t.call<ServerPage>(`/rest/api/2/search?jql=&maxResults=5000`)).body.maxResults).toBe(1000);
  });

  it('serves the reconciliation query (updated >= watermark ORDER BY updated) in order', async () => {
    const { store } = t.data.deps();
    const sorted = [...store.issues.values()].sort((a, b) => a.updated - b.updated);
    const watermark = sorted[200]!.updated;
    const stamp = new Date(watermark).toISOString().slice(0, 16).replace('T', ' ');
    const page = await t.call<ServerPage>(
      `/rest/api/2/search?jql=${q(`project = DEMO AND updated >= "${stamp}" ORDER BY updated ASC`)}&maxResults=1000&fields=updated`,
    );
    const minute = Date.parse(`${stamp.replace(' ', 'T')}:00Z`);
    const expected = [...store.issues.values()].filter(
      (i) => i.updated >= minute && i.key.startsWith('DEMO-'),
    ).length;
    expect(page.body.total).toBe(expected);
    const times = page.body.issues.map((i) => String(i.fields!.updated));
    expect([...times].sort()).toEqual(times);
    const relative = await t.call<ServerPage>(`/rest/api/2/search?jql=${q('updated >= -5m')}`);
    expect(relative.status).toBe(200);
  });

  it('answers bad JQL with 400 and warns instead when validateQuery=warn', async () => {
    expect(await t.call(`/rest/api/2/search?jql=${q('project = NOPE')}`)).toEqual({
      status: 400,
      body: { errorMessages: ["The value 'NOPE' does not exist for the field 'project'."], errors: {} },
    });
    const warned = await t.call<ServerPage>(
      `/rest/api/2/search?jql=${q('project = NOPE')}&validateQuery=warn`,
    );
    expect(warned.body).toMatchObject({
      total: 0,
      warningMessages: ["The value 'NOPE' does not exist for the field 'project'."],
    });
    expect((await t.call(`/rest/api/2/search?jql=${q('project = = DEMO')}`)).body).toMatchObject({
      errorMessages: [expect.stringMatching(/^Error in the JQL Query: /)],
    });
    expect((await t.call('/rest/api/2/search?startAt=-1')).status).toBe(400);
    expect((await t.call('/rest/api/2/search', { as: null })).status).toBe(401);
  });

  it('only returns issues from projects the caller can browse', async () => {
    const viewer = t.ctx.findUser('viewer')!;
    viewer.projectPermissions.set('SIM', new Set());
    try {
      const page = await t.call<ServerPage>('/rest/api/2/search?jql=&maxResults=1000&fields=id', {
        as: 'viewer',
      });
      expect(page.body.total).toBe(150);
      expect(page.body.issues.every((i) => i.key.startsWith('DEMO-'))).toBe(true);
    } finally {
      viewer.projectPermissions.clear();
    }
  });
});

describe('Cloud search', () => {
  const t = makeTestApp('cloud', { seedIssues: 120 });

  it('answers 410 on the retired endpoints', async () => {
    for (const path of ['/rest/api/2/search', '/rest/api/3/search']) {
      const r = await t.call<J>(`${path}?jql=project=DEMO`);
      expect(r.status).toBe(410);
      expect((r.body.errorMessages as string[])[0]).toContain('/rest/api/3/search/jql');
    }
  });

  it('pages /search/jql with nextPageToken, ids only by default', async () => {
    const jql = q('project = DEMO ORDER BY id ASC');
    const first = await t.call<CloudPage>(`/rest/api/3/search/jql?jql=${jql}&maxResults=25`);
    expect(first.body.isLast).toBe(false);
    expect(Object.keys(first.body.issues[0]!)).toEqual(['id']);
    const ids = first.body.issues.map((i) => i.id);
    let token = first.body.nextPageToken;
    while (token) {
      const next = await t.call<CloudPage>(
        `/rest/api/3/search/jql?jql=${jql}&maxResults=25&nextPageToken=${token}`,
      );
      ids.push(...next.body.issues.map((i) => i.id));
      token = next.body.nextPageToken;
      if (!token) expect(next.body.isLast).toBe(true);
    }
    expect(ids).toHaveLength(60);
    expect(new Set(ids).size).toBe(60);
    expect(ids.map(Number)).toEqual([...ids.map(Number)].sort((a, b) => a - b));

    const withFields = await t.call<CloudPage>('/rest/api/3/search/jql', {
      json: { jql: 'project = SIM', fields: ['summary', 'description'], maxResults: 500 },
    });
    expect(withFields.body.issues).toHaveLength(60);
    const described = withFields.body.issues.find((i) => i.fields!.description !== null);
    expect(described).toBeDefined();
    expect(described!.fields!.description).toMatchObject({ type: 'doc' });
    const big = await t.call<CloudPage>(
      `/rest/api/3/search/jql?jql=${q('project in (DEMO, SIM)')}&fields=summary&maxResults=5000`,
    );
    expect(big.body.issues).toHaveLength(100);
    const idOnly = await t.call<CloudPage>(
      `/rest/api/3/search/jql?jql=${q('project in (DEMO, SIM)')}&fields=id,key&maxResults=5000`,
    );
    expect(idOnly.body.issues).toHaveLength(120);
    expect(idOnly.body.issues[0]!.key).toMatch(/^(DEMO|SIM)-\d+$/);
  });

  it('estimates counts with /search/approximate-count', async () => {
    expect(
      (await t.call('/rest/api/3/search/approximate-count', { json: { jql: 'project = SIM' } })).body,
    ).toEqual({ count: 60 });
    expect((await t.call('/rest/api/3/search/approximate-count', { json: { jql: '' } })).status).toBe(400);
  });

  it('refuses unbounded queries and foreign page tokens', async () => {
    expect((await t.call<J>('/rest/api/3/search/jql?jql=ORDER%20BY%20key')).body).toEqual({
      errorMessages: [
        'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.',
      ],
      errors: {},
    });
    const first = await t.call<CloudPage>(`/rest/api/3/search/jql?jql=${q('project = DEMO')}&maxResults=1`);
    const reused = await t.call<J>(
      `/rest/api/3/search/jql?jql=${q('project = SIM')}&nextPageToken=${first.body.nextPageToken}`,
    );
    expect(reused.status).toBe(400);
    expect(
      (await t.call<J>(`/rest/api/3/search/jql?jql=${q('project = SIM')}&nextPageToken=garbage`)).status,
    ).toBe(400);
  });
});

describe('seeding at scale', () => {
  it('seeds 100 000 issues deterministically and serves pages of 1000 from them', async () => {
    const t = makeTestApp('server');
    const started = performance.now();
    t.data.seedIssues(100_000);
    const seededMs = performance.now() - started;
    const { store } = t.data.deps();
    expect(store.issues.size).toBe(100_000);
    expect(store.findIssue('DEMO-50000')).toBeDefined();
    expect(store.findIssue('SIM-50000')).toBeDefined();

    const jql = q('project = DEMO AND updated >= "2026-10-01 00:00" ORDER BY updated ASC');
    const t0 = performance.now();
    const first = await t.call<ServerPage>(
      `/rest/api/2/search?jql=${jql}&maxResults=1000&fields=summary,updated,status`,
    );
    const firstMs = performance.now() - t0;
    expect(first.body.issues).toHaveLength(1000);
    const t1 = performance.now();
    const later = await t.call<ServerPage>(
      `/rest/api/2/search?jql=${jql}&startAt=20000&maxResults=1000&fields=summary,updated,status`,
    );
    const laterMs = performance.now() - t1;
    expect(later.body.total).toBe(first.body.total);
    console.log(
      `[jira-sim] seeded 100000 issues in ${seededMs.toFixed(0)} ms; first page of 1000 (of ${first.body.total}) in ${firstMs.toFixed(1)} ms, a later page in ${laterMs.toFixed(1)} ms`,
    );

    // Same seed, same data.
    const again = makeTestApp('server');
    again.data.seedIssues(100_000);
    const a = store.findIssue('DEMO-777')!;
    const b = again.data.deps().store.findIssue('DEMO-777')!;
    expect({ ...b, comments: [], changelog: [] }).toEqual({ ...a, comments: [], changelog: [] });
  });
});
