/**
 * The data endpoints against jira-sim's data side, for every flavour: projects, versions,
 * createmeta (both styles), the defect-filing sequence, search paging, admin webhooks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJiraSim, type JiraSim } from '../../jira-sim/src/server.js';
import { basicAuth } from './auth.js';
import { JiraClient } from './client.js';
import { TESTBRIDGE_WEBHOOK_EVENTS } from './endpoints/webhooks.js';
import { JiraApiError } from './errors.js';
import type { JiraCallEvent } from './transport.js';

type SimUserInfo = { name: string; emailAddress: string; password: string; apiToken?: string };

const SEEDED_ISSUES = 37;

for (const flavor of ['cloud', 'server', 'dc9', 'dc10'] as const) {
  const cloud = flavor === 'cloud';
  describe(`Jira data endpoints against jira-sim (${flavor})`, () => {
    let sim: JiraSim;
    let client: JiraClient;
    let users: SimUserInfo[];
    const calls: JiraCallEvent[] = [];

    beforeAll(async () => {
      sim = await createJiraSim({ flavor, port: 0, seedIssues: SEEDED_ISSUES });
      const info = (await (await fetch(`${sim.url}/rest/sim/1.0/info`)).json()) as { users: SimUserInfo[] };
      users = info.users;
      const admin = info.users.find((u) => u.name === 'admin')!;
      client = new JiraClient({
        jiraUrl: sim.url,
        auth: cloud
          ? basicAuth({ username: admin.emailAddress, password: admin.apiToken! })
          : basicAuth({ username: 'admin', password: admin.password }),
        onCall: (e) => calls.push(e),
      });
    });
    afterAll(async () => {
      await sim?.close();
    });

    it('lists projects and reads one with its versions', async () => {
      const projects = await client.listProjects();
      expect(projects.map((p) => p.key)).toEqual(expect.arrayContaining(['DEMO', 'SIM']));
      const demo = await client.getProject('DEMO');
      expect(demo.name).toBe('Demo project');
      const versions = await client.projectVersions('DEMO');
      expect(versions.map((v) => v.name)).toEqual(expect.arrayContaining(['1.0', '1.1', '2.0']));
      expect(versions.find((v) => v.name === '1.0')?.released).toBe(true);
      const e = await client.getProject('NOPE').catch((x: unknown) => x);
      expect((e as JiraApiError).code).toBe('jira_not_found');
    });

    it('reads mypermissions for a project, for an account that lacks most of them', async () => {
      const tester = users.find((u) => u.name === 'tester')!;
      const c = new JiraClient({
        jiraUrl: sim.url,
        auth: cloud
          ? basicAuth({ username: tester.emailAddress, password: tester.apiToken! })
          : basicAuth({ username: 'tester', password: tester.password }),
      });
      const perms = (await c.myPermissions({ projectKey: 'DEMO' })).permissions;
      expect(perms.BROWSE_PROJECTS?.havePermission).toBe(true);
      expect(perms.EDIT_ISSUES?.havePermission).toBe(false);
      expect(perms.TRANSITION_ISSUES?.havePermission).toBe(false);
    });

    it('reads createmeta issue types and fields in the style this version has', async () => {
      const types = await client.createMetaIssueTypes('DEMO');
      const bug = types.find((t) => t.name === 'Bug');
      expect(bug).toBeDefined();
      const fields = await client.createMetaFields('DEMO', bug!.id);
      const summary = fields.find((f) => f.fieldId === 'summary');
      expect(summary?.required).toBe(true);
      const expectedPath =
        flavor === 'server' ? '/rest/api/2/issue/createmeta' : '/rest/api/2/issue/createmeta/DEMO/issuetypes';
      expect(calls.some((c) => c.path === expectedPath)).toBe(true);
    });

    it('files a defect: create, attach, link, comment, transition, edit, read back with changelog', async () => {
      const types = await client.createMetaIssueTypes('DEMO');
      const bug = types.find((t) => t.name === 'Bug')!;
      const created = await client.createIssue({
        fields: {
          project: { key: 'DEMO' },
          issuetype: { id: bug.id },
          summary: 'Login fails with a 500',
          description: 'Failed test execution TB-42',
        },
      });
      expect(created.key).toMatch(/^DEMO-\d+$/);

      const attachments = await client.addAttachment(created.key, {
        filename: 'execution.log',
        content: new TextEncoder().encode('step 3 failed\n'),
        contentType: 'text/plain',
      });
      expect(attachments[0]?.filename).toBe('execution.log');

      const other = await client.createIssue({
        fields: {
          project: { key: 'DEMO' },
          issuetype: { id: bug.id },
          summary: 'Requirement',
          description: 'Linked requirement',
        },
      });
      await client.createIssueLink({ type: 'Relates', inwardIssue: created.key, outwardIssue: other.key });

      const comment = await client.addComment(created.key, 'Filed by Testbridge from execution TB-42.');
      expect(comment.id).toBeTruthy();

      const transitions = await client.getTransitions(created.key);
      expect(transitions.length).toBeGreaterThan(0);
      await client.transitionIssue(created.key, { transitionId: transitions[0]!.id });

      await client.editIssue(created.key, { fields: { summary: 'Login fails with HTTP 500' } });

      const issue = await client.getIssue(created.key, {
        fields: ['summary', 'status', 'attachment', 'issuelinks', 'comment'],
        expand: ['changelog'],
      });
      expect(issue.id).toBe(created.id);
      expect(issue.fields?.summary).toBe('Login fails with HTTP 500');
      expect(issue.fields?.attachment).toHaveLength(1);
      expect(issue.fields?.issuelinks).toHaveLength(1);
      expect(issue.changelog?.histories?.length).toBeGreaterThan(0);
    });

    it('pages through search results with the API this deployment has, without duplicates', async () => {
      const jql = 'project = DEMO ORDER BY id ASC';
      const pageCalls = calls.length;
      const ids: string[] = [];
      let pages = 0;
      const totals = new Set<number | undefined>();
      for await (const page of client.searchPages(jql, { pageSize: 10, fields: ['summary', 'updated'] })) {
        pages++;
        ids.push(...page.issues.map((i) => i.id));
        totals.add(page.total);
      }
      // Server/DC report the total on every page; Cloud's token paging has none.
      expect([...totals]).toEqual([cloud ? undefined : ids.length]);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBeGreaterThanOrEqual(10);
      expect(pages).toBe(Math.ceil(ids.length / 10));
      const searchPaths = new Set(calls.slice(pageCalls).map((c) => c.path));
      expect([...searchPaths]).toEqual([cloud ? '/rest/api/3/search/jql' : '/rest/api/2/search']);

      const all: string[] = [];
      for await (const issue of client.searchIssues(jql, { pageSize: 100, fields: ['summary'] }))
        all.push(issue.id);
      expect(all).toEqual(ids);
    });

    it('returns the same issue shape on every deployment when no fields are named', async () => {
      const first = await (async () => {
        for await (const issue of client.searchIssues('project = DEMO ORDER BY id ASC', { pageSize: 5 }))
          return issue;
        return undefined;
      })();
      expect(first?.key).toMatch(/^DEMO-\d+$/);
      expect(first?.fields?.summary).toBeTypeOf('string');
    });

    it("reports invalid JQL as jira_bad_request with Jira's message", async () => {
      const e = await (async () => {
        for await (const _ of client.searchPages('project = = DEMO')) {
          // no pages expected
        }
      })().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(JiraApiError);
      expect((e as JiraApiError).code).toBe('jira_bad_request');
      expect((e as JiraApiError).jiraMessages.length).toBeGreaterThan(0);
    });

    it('manages an admin webhook with the seed events and a project filter', async () => {
      const input = {
        name: 'Testbridge DEMO',
        url: 'http://127.0.0.1:9/webhooks/jira/abcdef',
        events: [...TESTBRIDGE_WEBHOOK_EVENTS],
        jql: 'project = DEMO',
        secret: 'whsec-never-echoed',
      };
      const created = await client.createAdminWebhook(input);
      expect(JSON.stringify(created)).not.toContain('whsec-never-echoed');
      expect(created).toMatchObject({
        name: input.name,
        url: input.url,
        jql: 'project = DEMO',
        enabled: true,
      });
      expect(created.events.sort()).toEqual([...input.events].sort());
      expect(created.id).toBeTruthy();

      const listed = await client.listAdminWebhooks();
      expect(listed.map((w) => w.id)).toContain(created.id);

      const updated = await client.updateAdminWebhook(created.id, {
        ...input,
        name: 'Testbridge DEMO (renamed)',
      });
      expect(updated.name).toBe('Testbridge DEMO (renamed)');
      expect((await client.getAdminWebhook(created.id)).name).toBe('Testbridge DEMO (renamed)');

      await client.deleteAdminWebhook(created.id);
      expect((await client.listAdminWebhooks()).map((w) => w.id)).not.toContain(created.id);
      const expectedBase =
        flavor === 'dc10' ? '/rest/jira-webhook/1.0/webhooks' : '/rest/webhooks/1.0/webhook';
      expect(calls.some((c) => c.path === expectedBase)).toBe(true);
    });
  });
}
