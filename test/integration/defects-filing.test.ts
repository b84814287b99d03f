/**
 * Filing defects from failed executions end to end against jira-sim (Server and Cloud
 * flavours) on SQLite and PostgreSQL: the createmeta-driven form, per-field errors, the
 * issue in jira-sim's export with its attachment, link and comment, one issue per
 * Idempotency-Key however often it is retried, a Jira 5xx part-way resumed without a
 * duplicate, and a Jira account without permission explained as a 403.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JiraSim } from '../../jira-sim/src/server.js';
import { insertTestMapping } from '../../src/integration/mappings-testing.js';
import type { Mapping } from '../../src/integration/mappings-model.js';
import { defectsFilingRoutes } from '../../src/server/routes/defects-filing.js';
import { routeRegistrars } from '../../src/server/routes.js';
import { createTestApp, type TestApp, type TestClient } from '../../src/server/testing.js';
import { describeEachDialect } from '../../src/store/testing.js';
import { applyIssue } from '../../src/sync/apply.js';
import { type DefectFilingView, FieldErrors, fileDefect } from '../../src/tm/defects-filing.js';
import type { FetchLike } from '../../src/jira/index.js';
import { exportProject, type Flavor, simJson, startSim } from './sync-support.js';

type SimUser = { name: string; accountId: string; emailAddress: string; password: string; apiToken?: string };
type ExportedIssue = {
  id: string;
  key: string;
  fields: {
    summary: string;
    description: unknown;
    issuetype: { name: string };
    status: { name: string };
    assignee: { name?: string; accountId?: string } | null;
    attachment: { filename: string; size: number }[];
    issuelinks: { type: { name: string }; inwardIssue?: { key: string }; outwardIssue?: { key: string } }[];
    comment: { comments: { body: unknown }[] };
  };
};
type ErrorJson = { error: { code: string; message: string; hint?: string; fields?: Record<string, string> } };

const FLAVORS: Flavor[] = ['server', 'cloud'];

/**
 * The product's routes with the filing routes registered first (so they answer) with Jira
 * calls retried once, quickly: a forced 5xx then fails fast.
 */
const registrars = [
  defectsFilingRoutes({
    jira: { transport: { retry: { maxRetries: 1, baseDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 50 } } },
  }),
  ...routeRegistrars,
];

describeEachDialect('defect filing from failed executions', (getStore) => {
  for (const flavor of FLAVORS) {
    let sim: JiraSim;
    let t: TestApp;
    let tester: TestClient;
    let users: SimUser[];
    let mapping: Mapping;
    let requirementKey: string;
    let testCaseId: string;

    const userCreds = (name: string) => {
      const u = users.find((x) => x.name === name);
      if (!u) throw new Error(`no jira-sim user ${name}`);
      return flavor === 'cloud'
        ? { username: u.emailAddress, password: u.apiToken ?? '' }
        : { username: u.name, password: u.password };
    };

    async function connect(name: string): Promise<string> {
      const creds = userCreds(name);
      const res = await t.admin.json<{ instance: { id: string } }>('POST', '/api/jira/instances', {
        name: `Sim ${flavor} ${name} ${randomUUID().slice(0, 6)}`,
        jiraUrl: sim.url,
        auth: { mode: 'basic', username: creds.username, password: creds.password },
      });
      expect(res.status).toBe(201);
      return res.body.instance.id;
    }

    async function failedExecution(caseId: string): Promise<string> {
      const res = await tester.json<{ id: string }>('POST', `/api/test-cases/${caseId}/executions`, {
        status: 'failed',
        notes: 'Checkout answered HTTP 500 after Pay.',
      });
      expect(res.status).toBe(201);
      return res.body.id;
    }

    const issuesBySummary = async (summary: string) =>
      ((await exportProject(sim, 'DEMO')).issues as unknown as ExportedIssue[]).filter(
        (i) => i.fields.summary === summary,
      );

    beforeAll(async () => {
      sim = await startSim(flavor, 10);
      t = await createTestApp({
        store: getStore(),
        registrars,
      });
      tester = (await t.signedIn('tester')).client;
      users = (await simJson<{ users: SimUser[] }>(sim, 'GET', '/info')).users;
      const instanceId = await connect('developer');
      const demo = await exportProject(sim, 'DEMO');
      mapping = await insertTestMapping(t.store.db, {
        jiraInstanceId: instanceId,
        jiraProjectId: String(demo.id),
        jiraProjectKey: 'DEMO',
      });
      const story = (demo.issues as unknown as ExportedIssue[]).find(
        (i) => i.fields.issuetype.name === 'Story',
      );
      if (!story) throw new Error('jira-sim seeded no Story in DEMO');
      expect(await applyIssue(t.store.db, mapping, story)).toBe('created');
      requirementKey = story.key;
      const requirement = await t.store.db
        .selectFrom('tm_issues')
        .select('id')
        .where('jira_issue_id', '=', story.id)
        .where('jira_instance_id', '=', instanceId)
        .executeTakeFirstOrThrow();
      const tc = await tester.json<{ id: string }>('POST', `/api/projects/${mapping.projectId}/test-cases`, {
        title: `Checkout pays (${flavor})`,
        steps: [
          { action: 'Add a book to the cart', expected: 'Cart shows 1 item' },
          { action: 'Pay', expected: 'Receipt' },
        ],
        requirementIds: [requirement.id],
      });
      expect(tc.status).toBe(201);
      testCaseId = tc.body.id;
    });
    afterAll(async () => {
      await t?.close();
      await sim?.close();
    });

    it(`${flavor}: shows the createmeta form, refuses a missing required field per field, files once per key`, async () => {
      const executionId = await failedExecution(testCaseId);
      const form = new FormData();
      form.append('file', new Blob(['GET /pay -> 500\nstack...'], { type: 'text/plain' }), 'server.log');
      form.append(
        'file',
        new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], { type: 'image/png' }),
        'shot.png',
      );
      const up = await tester.request(`/api/executions/${executionId}/attachments`, {
        method: 'POST',
        body: form,
      });
      expect(up.status).toBe(201);
      expect(((await up.json()) as { attachments: unknown[] }).attachments).toHaveLength(2);

      const shown = await tester.json<{
        issueType: { name: string };
        issueTypes: string[];
        fields: { fieldId: string; required: boolean; prefill?: string; fixed?: boolean }[];
        attachments: { filename: string }[];
        requirements: { jiraKey: string }[];
      }>('GET', `/api/executions/${executionId}/defect-form`);
      expect(shown.status).toBe(200);
      expect(shown.body.issueType.name).toBe('Bug');
      expect(shown.body.issueTypes).toEqual(['Bug']);
      const description = shown.body.fields.find((f) => f.fieldId === 'description');
      // jira-sim's Bug requires a description: the form must say so and propose one.
      expect(description?.required).toBe(true);
      expect(description?.prefill).toContain('Add a book to the cart');
      expect(description?.prefill).toContain('Checkout answered HTTP 500');
      expect(shown.body.fields.find((f) => f.fieldId === 'project')?.fixed).toBe(true);
      expect(shown.body.attachments.map((a) => a.filename)).toEqual(['server.log', 'shot.png']);
      expect(shown.body.requirements.map((r) => r.jiraKey)).toEqual([requirementKey]);

      const missing = await tester.json<ErrorJson>(
        'POST',
        `/api/executions/${executionId}/defects`,
        { fields: { description: '  ', priority: 'Nope', nosuch: 1 } },
        { 'idempotency-key': randomUUID() },
      );
      expect(missing.status).toBe(400);
      expect(missing.body.error.code).toBe('defect_fields_invalid');
      expect(missing.body.error.fields?.description).toMatch(/required/);
      expect(missing.body.error.fields?.priority).toMatch(/one of: .*High/);
      expect(missing.body.error.fields?.nosuch).toMatch(/create screen/);
      expect(missing.body.error.hint).toBeTruthy();
      const noKey = await tester.json<ErrorJson>('POST', `/api/executions/${executionId}/defects`, {});
      expect(noKey.status).toBe(400);
      expect(noKey.body.error.code).toBe('idempotency_key_invalid');

      const developer = users.find((u) => u.name === 'developer');
      const assignable = await tester.json<{ users: { id: string; displayName: string }[] }>(
        'GET',
        `/api/executions/${executionId}/assignable-users?q=dev`,
      );
      expect(assignable.status).toBe(200);
      expect(assignable.body.users.map((u) => u.id)).toContain(
        flavor === 'cloud' ? developer?.accountId : 'developer',
      );
      expect(assignable.body.users.map((u) => u.displayName)).not.toContain('Terry Tester');
      const key = randomUUID();
      const summary = `Checkout 500 (${flavor} ${key.slice(0, 8)})`;
      const body = {
        fields: { summary, priority: 'High', labels: ['checkout'] },
        assignee: flavor === 'cloud' ? developer?.accountId : developer?.name,
        transition: 'In Progress',
        comment: 'Seen on the nightly run.',
      };
      const first = await tester.json<DefectFilingView>(
        'POST',
        `/api/executions/${executionId}/defects`,
        body,
        { 'idempotency-key': key },
      );
      expect(first.status, JSON.stringify(first.body)).toBe(201);
      expect(first.body.state).toBe('done');
      expect(first.body.jiraKey).toMatch(/^DEMO-\d+$/);
      expect(first.body.links).toEqual([requirementKey]);
      expect(first.body.linkType).toBe('Relates');
      expect(first.body.warnings).toEqual([]);

      const [issue, ...others] = await issuesBySummary(summary);
      expect(others).toHaveLength(0);
      if (!issue) throw new Error('the defect is not in jira-sim');
      expect(issue.key).toBe(first.body.jiraKey);
      expect(issue.fields.issuetype.name).toBe('Bug');
      expect(issue.fields.status.name).toBe('In Progress');
      expect(flavor === 'cloud' ? issue.fields.assignee?.accountId : issue.fields.assignee?.name).toBe(
        flavor === 'cloud' ? developer?.accountId : developer?.name,
      );
      expect(issue.fields.attachment.map((a) => a.filename).sort()).toEqual(['server.log', 'shot.png']);
      expect(
        issue.fields.issuelinks.some(
          (l) => l.type.name === 'Relates' && (l.inwardIssue?.key ?? l.outwardIssue?.key) === requirementKey,
        ),
      ).toBe(true);
      expect(JSON.stringify(issue.fields.comment.comments)).toContain('Seen on the nightly run.');
      expect(JSON.stringify(issue.fields.description)).toContain('Checkout answered HTTP 500');

      // Stored locally as a defect of the project, linked to the execution.
      const local = await t.store.db
        .selectFrom('tm_issues')
        .selectAll()
        .where('id', '=', first.body.defectId ?? '')
        .executeTakeFirstOrThrow();
      expect(local).toMatchObject({ kind: 'defect', jira_key: issue.key, project_id: mapping.projectId });
      const defects = await tester.json<{ items: { jiraKey: string }[] }>(
        'GET',
        `/api/projects/${mapping.projectId}/defects?limit=500`,
      );
      expect(defects.body.items.map((d) => d.jiraKey)).toContain(issue.key);
      const listed = await tester.json<{ filings: DefectFilingView[] }>(
        'GET',
        `/api/executions/${executionId}/defects`,
      );
      expect(listed.body.filings.map((f) => f.jiraKey)).toEqual([issue.key]);

      // The same key again (a retry after a lost answer): the first result, nothing new in Jira.
      for (let i = 0; i < 2; i++) {
        const again = await tester.json<DefectFilingView>(
          'POST',
          `/api/executions/${executionId}/defects`,
          body,
          { 'idempotency-key': key },
        );
        expect(again.status).toBe(200);
        expect(again.res.headers.get('idempotent-replayed')).toBe('true');
        expect(again.body).toMatchObject({
          jiraKey: issue.key,
          replayed: true,
          filingId: first.body.filingId,
        });
      }
      expect(await issuesBySummary(summary)).toHaveLength(1);
      const reused = await tester.json<ErrorJson>(
        'POST',
        `/api/executions/${executionId}/defects`,
        { ...body, comment: 'different' },
        { 'idempotency-key': key },
      );
      expect(reused.status).toBe(422);
      expect(reused.body.error.code).toBe('idempotency_key_reused');
    });

    it(`${flavor}: a Jira 5xx part-way is explained, and the retry resumes the missing steps without a second issue`, async () => {
      const executionId = await failedExecution(testCaseId);
      const key = randomUUID();
      const summary = `Resumed filing (${flavor} ${key.slice(0, 8)})`;
      const body = { fields: { summary } };
      await simJson(sim, 'PUT', '/faults', { serverError: { count: 50, status: 500 }, paths: 'issueLink$' });
      try {
        const failed = await tester.json<ErrorJson>('POST', `/api/executions/${executionId}/defects`, body, {
          'idempotency-key': key,
        });
        expect(failed.status).toBeGreaterThanOrEqual(500);
        expect(failed.body.error.code).toBe('jira_server_error');
        expect(failed.body.error.message).toContain(`link to ${requirementKey}`);
        expect(failed.body.error.hint).toMatch(/same Idempotency-Key/);
      } finally {
        await simJson(sim, 'DELETE', '/faults');
      }
      const created = await issuesBySummary(summary);
      expect(created).toHaveLength(1);
      expect(created[0]?.fields.issuelinks).toEqual([]);
      const half = await tester.json<{ filings: DefectFilingView[] }>(
        'GET',
        `/api/executions/${executionId}/defects`,
      );
      expect(half.body.filings[0]).toMatchObject({
        state: 'incomplete',
        jiraKey: created[0]?.key,
        links: [],
      });

      const resumed = await tester.json<DefectFilingView>(
        'POST',
        `/api/executions/${executionId}/defects`,
        body,
        { 'idempotency-key': key },
      );
      expect(resumed.status, JSON.stringify(resumed.body)).toBe(200);
      expect(resumed.body).toMatchObject({
        state: 'done',
        jiraKey: created[0]?.key,
        links: [requirementKey],
      });
      const after = await issuesBySummary(summary);
      expect(after).toHaveLength(1);
      expect(after[0]?.fields.issuelinks).toHaveLength(1);
      expect(after[0]?.fields.comment.comments).toHaveLength(1);
    });

    it(`${flavor}: when Jira creates the issue but its answer is lost, the retry finds it instead of filing twice`, async () => {
      const executionId = await failedExecution(testCaseId);
      const key = randomUUID();
      const summary = `Lost answer (${flavor} ${key.slice(0, 8)})`;
      let lost = 0;
      // Jira commits the create, then the answer never arrives (a proxy's 502).
      const lossy: FetchLike = async (input, init) => {
        const res = await fetch(input, init as RequestInit);
        if (
          init?.method === 'POST' &&
          /\/rest\/api\/2\/issue$/.test(new URL(String(input)).pathname) &&
          lost++ === 0
        )
          return new Response('<html>Bad Gateway</html>', {
            status: 502,
            headers: { 'content-type': 'text/html' },
          });
        return res;
      };
      const deps = { store: t.store, vault: t.vault, logger: t.logger, config: t.config };
      const request = {
        executionId,
        idempotencyKey: key,
        input: { fields: { summary }, comment: null },
        userId: t.adminUser.id,
      };
      const retry = { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 };
      await expect(
        fileDefect(deps, request, { jira: { transport: { fetch: lossy, retry } } }),
      ).rejects.toMatchObject({ code: 'jira_unavailable' });
      expect(lost).toBe(1);
      expect(await issuesBySummary(summary)).toHaveLength(1);
      const again = await fileDefect(deps, request, { jira: { transport: { fetch: lossy, retry } } });
      expect(again.created).toBe(false);
      expect(again.view.state).toBe('done');
      const issues = await issuesBySummary(summary);
      expect(issues).toHaveLength(1);
      expect(again.view.jiraKey).toBe(issues[0]?.key);
      expect(again.view.links).toEqual([requirementKey]);
    });

    it(`${flavor}: Jira's own per-field refusal of the create is a per-field 400 and frees the key`, async () => {
      const executionId = await failedExecution(testCaseId);
      const key = randomUUID();
      const summary = `Refused (${flavor} ${key.slice(0, 8)})`;
      let refuse = true;
      const refusing: FetchLike = async (input, init) => {
        if (
          refuse &&
          init?.method === 'POST' &&
          new URL(String(input)).pathname.endsWith('/rest/api/2/issue')
        )
          return new Response(
            JSON.stringify({ errorMessages: [], errors: { environment: 'Environment is required.' } }),
            {
              status: 400,
              headers: { 'content-type': 'application/json' },
            },
          );
        return fetch(input, init as RequestInit);
      };
      const deps = { store: t.store, vault: t.vault, logger: t.logger, config: t.config };
      const request = {
        executionId,
        idempotencyKey: key,
        input: { fields: { summary } },
        userId: t.adminUser.id,
      };
      const refused = await fileDefect(deps, request, { jira: { transport: { fetch: refusing } } }).catch(
        (e) => e,
      );
      expect(refused).toBeInstanceOf(FieldErrors);
      expect((refused as FieldErrors).fields).toEqual({ environment: 'Environment is required.' });
      expect(await issuesBySummary(summary)).toHaveLength(0);
      refuse = false;
      const filed = await fileDefect(deps, request, { jira: { transport: { fetch: refusing } } });
      expect(filed.created).toBe(true);
      expect(await issuesBySummary(summary)).toHaveLength(1);
    });

    it(`${flavor}: the same key sent twice at once files one issue`, async () => {
      const executionId = await failedExecution(testCaseId);
      const key = randomUUID();
      const summary = `Double click (${flavor} ${key.slice(0, 8)})`;
      const send = () =>
        tester.json<DefectFilingView | ErrorJson>(
          'POST',
          `/api/executions/${executionId}/defects`,
          { fields: { summary } },
          { 'idempotency-key': key },
        );
      const answers = await Promise.all([send(), send()]);
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses).toContain(201);
      expect([200, 409]).toContain(statuses.find((x) => x !== 201));
      expect(await issuesBySummary(summary)).toHaveLength(1);
      // Once the first finished, the second key holder gets its result.
      const later = await send();
      expect(later.status).toBe(200);
      expect((later.body as DefectFilingView).replayed).toBe(true);
    });

    it(`${flavor}: uploads are multipart, size-capped and refused clearly otherwise`, async () => {
      const executionId = await failedExecution(testCaseId);
      const url = `/api/executions/${executionId}/attachments`;
      const big = new FormData();
      big.append('file', new Blob([new Uint8Array(10 * 1024 * 1024 + 1)]), 'huge.log');
      const tooBig = await tester.request(url, { method: 'POST', body: big });
      expect(tooBig.status).toBe(413);
      expect(((await tooBig.json()) as ErrorJson).error.code).toBe('attachment_too_large');
      const notMultipart = await tester.json<ErrorJson>('POST', url, { file: 'x' });
      expect(notMultipart.status).toBe(415);
      expect(notMultipart.body.error.hint).toContain('multipart');
      const empty = new FormData();
      empty.append('other', 'x');
      const none = await tester.request(url, { method: 'POST', body: empty });
      expect(none.status).toBe(400);
      const named = new FormData();
      named.append('file', new Blob(['x']), '../../etc/passwd');
      const ok = await tester.request(url, { method: 'POST', body: named });
      expect(ok.status).toBe(201);
      expect(((await ok.json()) as { attachments: { filename: string }[] }).attachments[0]?.filename).toBe(
        'passwd',
      );
      const unknownFile = await tester.json<ErrorJson>(
        'POST',
        `/api/executions/${executionId}/defects`,
        { attachmentIds: ['nope'] },
        { 'idempotency-key': randomUUID() },
      );
      expect(unknownFile.status).toBe(400);
      expect(unknownFile.body.error.fields?.attachmentIds).toContain('nope');
      expect((await t.anonymous().request(url)).status).toBe(401);
    });

    it(`${flavor}: a Jira account that may not create issues gets an explained 403; passed runs are refused`, async () => {
      const instanceId = await connect('tester');
      const demo = await exportProject(sim, 'DEMO');
      const other = await insertTestMapping(t.store.db, {
        jiraInstanceId: instanceId,
        jiraProjectId: String(demo.id),
        jiraProjectKey: 'DEMO',
      });
      const tc = await tester.json<{ id: string }>('POST', `/api/projects/${other.projectId}/test-cases`, {
        title: 'Login',
      });
      const executionId = await failedExecution(tc.body.id);
      const form = await tester.json<ErrorJson>('GET', `/api/executions/${executionId}/defect-form`);
      expect(form.status).toBe(403);
      expect(form.body.error.code).toBe('jira_cannot_create');
      expect(form.body.error.hint).toContain('Create Issues');
      const filed = await tester.json<ErrorJson>(
        'POST',
        `/api/executions/${executionId}/defects`,
        { fields: { summary: 'x' } },
        { 'idempotency-key': randomUUID() },
      );
      expect(filed.status).toBe(403);
      expect(filed.body.error.hint).toContain('Create Issues');

      const passed = await tester.json<{ id: string }>('POST', `/api/test-cases/${testCaseId}/executions`, {
        status: 'passed',
      });
      const refused = await tester.json<ErrorJson>('GET', `/api/executions/${passed.body.id}/defect-form`);
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('execution_not_failed');
      const nowhere = await tester.json<ErrorJson>('GET', '/api/executions/nope/defect-form');
      expect(nowhere.status).toBe(404);
    });
  }
});
