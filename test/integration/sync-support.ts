/**
 * Shared by the sync integration tests: a jira-sim per flavour, a Jira client for its admin,
 * REST helpers to change Jira, and the field-by-field comparison of Testbridge's requirements,
 * defects and releases with jira-sim's export.
 */
import type { Kysely } from 'kysely';
import { createJiraSim, type JiraSim } from '../../jira-sim/src/server.js';
import type { Mapping } from '../../src/integration/mappings-model.js';
import { basicAuth, JiraClient, type JiraClientOptions } from '../../src/jira/index.js';
import type { Database } from '../../src/store/schema.js';

export type Flavor = 'server' | 'cloud' | 'dc9' | 'dc10';

export async function startSim(flavor: Flavor, seedIssues = 0): Promise<JiraSim> {
  return createJiraSim({ port: 0, flavor, ...(seedIssues ? { seedIssues } : {}) });
}

export async function simJson<T = unknown>(
  sim: JiraSim,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${sim.url}/rest/sim/1.0${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`jira-sim admin ${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

export type AdminCredentials = { username: string; password: string };

export async function adminCredentials(sim: JiraSim): Promise<AdminCredentials> {
  const info = await simJson<{
    flavor: string;
    users: { name: string; password: string; emailAddress: string; apiToken?: string }[];
  }>(sim, 'GET', '/info');
  const admin = info.users.find((u) => u.name === 'admin');
  if (!admin) throw new Error('jira-sim has no admin user');
  return info.flavor === 'cloud' && admin.apiToken
    ? { username: admin.emailAddress, password: admin.apiToken }
    : { username: admin.name, password: admin.password };
}

export function simClient(
  sim: JiraSim,
  creds: AdminCredentials,
  extra: Partial<Pick<JiraClientOptions, 'onCall' | 'reason'>> = {},
): JiraClient {
  return new JiraClient({
    jiraUrl: sim.url,
    auth: basicAuth(creds),
    // Tests wait for jira-sim's Retry-After of 1 s at most a few times; keep the budget small.
    retry: { maxRetries: 2, baseDelayMs: 50, maxDelayMs: 200, maxRetryAfterMs: 1_000 },
    ...(extra.onCall ? { onCall: extra.onCall } : {}),
    ...(extra.reason ? { reason: extra.reason } : {}),
  });
}

/** Plain REST against jira-sim as its admin (changes Testbridge must follow). */
export async function jira<T = unknown>(
  sim: JiraSim,
  creds: AdminCredentials,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`,
      'content-type': 'application/json',
      accept: 'application/json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`Jira ${method} ${path}: HTTP ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

type Obj = Record<string, unknown>;
const o = (v: unknown): Obj => (typeof v === 'object' && v !== null ? (v as Obj) : {});

export type ExportedProject = {
  id: string;
  key: string;
  versions: Obj[];
  issues: { id: string; key: string; fields: Obj }[];
};

export async function exportProject(sim: JiraSim, key: string): Promise<ExportedProject> {
  const body = await simJson<{ projects: ExportedProject[] }>(sim, 'GET', `/export?project=${key}`);
  const p = body.projects[0];
  if (!p) throw new Error(`no export for ${key}`);
  return p;
}

export async function projectId(sim: JiraSim, key: string): Promise<string> {
  return String((await exportProject(sim, key)).id);
}

type Comparable = Record<string, unknown>;

function expectedIssue(mapping: Mapping, issue: ExportedProject['issues'][number]): Comparable | undefined {
  const f = issue.fields;
  const type = String(o(f.issuetype).name);
  const kind = mapping.requirementTypes.includes(type)
    ? 'requirement'
    : mapping.defectTypes.includes(type)
      ? 'defect'
      : undefined;
  if (!kind) return undefined;
  const assignee = f.assignee ? o(f.assignee) : undefined;
  return {
    key: issue.key,
    kind,
    issueType: type,
    summary: f.summary ?? null,
    description: f.description ?? null,
    status: o(f.status).name ?? null,
    priority: f.priority ? (o(f.priority).name ?? null) : null,
    labels: f.labels ?? [],
    components: ((f.components as Obj[] | undefined) ?? []).map((c) => c.name),
    fixVersionIds: ((f.fixVersions as Obj[] | undefined) ?? []).map((v) => String(v.id)),
    assignee: assignee ? (assignee.accountId ?? assignee.key ?? assignee.name ?? null) : null,
    assigneeName: assignee ? (assignee.displayName ?? null) : null,
    parentKey: f.parent ? (o(f.parent).key ?? null) : null,
  };
}

/** Differences between jira-sim's export and Testbridge's rows ([] when they agree field by field). */
export async function differences(
  db: Kysely<Database>,
  sim: JiraSim,
  mapping: Mapping,
  jiraKey: string,
): Promise<string[]> {
  const exported = await exportProject(sim, jiraKey);
  const expected = new Map<string, Comparable>();
  for (const issue of exported.issues) {
    const e = expectedIssue(mapping, issue);
    if (e) expected.set(String(issue.id), e);
  }
  const rows = await db
    .selectFrom('tm_issues')
    .selectAll()
    .where('project_id', '=', mapping.projectId)
    .where('removed_reason', 'is', null)
    .execute();
  const actual = new Map<string, Comparable>();
  for (const r of rows) {
    actual.set(r.jira_issue_id, {
      key: r.jira_key,
      kind: r.kind,
      issueType: r.issue_type,
      summary: r.summary,
      description: r.description,
      status: r.status,
      priority: r.priority,
      labels: JSON.parse(r.labels),
      components: JSON.parse(r.components),
      fixVersionIds: JSON.parse(r.fix_version_ids),
      assignee: r.assignee_id,
      assigneeName: r.assignee_name,
      parentKey: r.parent_key,
    });
  }
  const diffs: string[] = [];
  for (const [id, e] of expected) {
    const a = actual.get(id);
    if (!a) {
      diffs.push(`issue ${id} (${String(e.key)}) missing in Testbridge`);
      continue;
    }
    for (const field of Object.keys(e)) {
      if (JSON.stringify(e[field]) !== JSON.stringify(a[field]))
        diffs.push(
          `issue ${id} ${field}: jira=${JSON.stringify(e[field])} testbridge=${JSON.stringify(a[field])}`,
        );
    }
  }
  for (const [id, a] of actual)
    if (!expected.has(id)) diffs.push(`issue ${id} (${String(a.key)}) in Testbridge but not in Jira`);

  const releases = await db
    .selectFrom('tm_releases')
    .selectAll()
    .where('project_id', '=', mapping.projectId)
    .where('deleted_at', 'is', null)
    .orderBy('sequence')
    .execute();
  const wantVersions = exported.versions.map((v) => ({
    id: String(v.id),
    name: v.name,
    description: v.description ?? null,
    released: v.released === true,
    archived: v.archived === true,
    releaseDate: v.releaseDate ?? null,
  }));
  const haveVersions = releases.map((r) => ({
    id: r.jira_version_id,
    name: r.name,
    description: r.description,
    released: r.released === 1,
    archived: r.archived === 1,
    releaseDate: r.release_date,
  }));
  if (JSON.stringify(wantVersions) !== JSON.stringify(haveVersions))
    diffs.push(`releases: jira=${JSON.stringify(wantVersions)} testbridge=${JSON.stringify(haveVersions)}`);
  return diffs;
}
