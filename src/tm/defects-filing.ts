/**
 * Filing a defect into Jira from a failed execution (data flow 5): a createmeta-driven form,
 * then create the issue in the mapped project, attach the execution's logs and screenshots,
 * link it to the requirements' issues, comment, assign and transition. The filing row is the
 * idempotency record: a repeat of the same Idempotency-Key answers the first result, and a
 * failure part-way leaves the steps already done recorded so a retry resumes the rest.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import { AppError, notFound } from '../errors.js';
import { jiraClientFor, type JiraClientForOptions } from '../integration/connection-client.js';
import type { ConnectionDeps } from '../integration/deps.js';
import { callCounter } from '../integration/mappings-calls.js';
import { findInstance } from '../integration/instances.js';
import { type Mapping, mappingFromRow } from '../integration/mappings-model.js';
import { isJiraApiError, type JiraClient, type JiraIssueType } from '../jira/index.js';
import type { Database, TmDefectFilingsTable } from '../store/schema.js';
import { applyIssue, searchFieldsFor } from '../sync/apply.js';
import { checkFields, FieldErrors, type FormField, formFields } from './defects-filing-fields.js';

export { FieldErrors } from './defects-filing-fields.js';

export type FilingDeps = ConnectionDeps;
/** Tests pass a quick retry policy; the server uses the defaults. */
export type FilingOptions = { jira?: Pick<JiraClientForOptions, 'transport' | 'timeoutMs'> };

// --- attachments uploaded with the execution ------------------------------------------

export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
export const MAX_EXECUTION_ATTACHMENT_BYTES = 25 * 1024 * 1024;
export const MAX_EXECUTION_ATTACHMENTS = 20;

export type AttachmentView = {
  id: string;
  executionId: string;
  filename: string;
  contentType: string;
  size: number;
  createdAt: string;
};

export type AttachmentUpload = { filename: string; contentType: string; content: Uint8Array };

const attachmentView = (r: {
  id: string;
  execution_id: string;
  filename: string;
  content_type: string;
  size: number;
  created_at: string;
}): AttachmentView => ({
  id: r.id,
  executionId: r.execution_id,
  filename: r.filename,
  contentType: r.content_type,
  size: Number(r.size),
  createdAt: r.created_at,
});

async function requireExecution(db: Kysely<Database>, id: string) {
  const row = await db.selectFrom('tm_executions').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row)
    throw notFound(
      `Execution ${id.slice(0, 100)}`,
      'List the test case’s executions (GET /api/test-cases/:id/executions) to find its id.',
    );
  return row;
}

export async function listExecutionAttachments(
  db: Kysely<Database>,
  executionId: string,
): Promise<AttachmentView[]> {
  await requireExecution(db, executionId);
  const rows = await db
    .selectFrom('tm_execution_attachments')
    .select(['id', 'execution_id', 'filename', 'content_type', 'size', 'created_at'])
    .where('execution_id', '=', executionId)
    .orderBy('created_at')
    .orderBy('filename')
    .execute();
  return rows.map(attachmentView);
}

const tooLarge = (what: string) =>
  new AppError('attachment_too_large', what, {
    status: 413,
    hint: `Attach files of at most ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MiB each, ${MAX_EXECUTION_ATTACHMENT_BYTES / 1024 / 1024} MiB and ${MAX_EXECUTION_ATTACHMENTS} files per execution; compress or trim large logs.`,
  });

/** A name safe to show and to send to Jira: no path, no control characters. */
function cleanFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = [...base]
    .filter((ch) => {
      const code = ch.charCodeAt(0);
      return code >= 0x20 && code !== 0x7f;
    })
    .join('')
    .trim()
    .slice(0, 200);
  return cleaned || 'attachment';
}

export async function addExecutionAttachments(
  db: Kysely<Database>,
  executionId: string,
  files: AttachmentUpload[],
): Promise<AttachmentView[]> {
  await requireExecution(db, executionId);
  if (files.length === 0) {
    throw new AppError('attachment_missing', 'No file was uploaded.', {
      hint: 'Send multipart/form-data with one or more parts named "file".',
    });
  }
  for (const f of files) {
    if (f.content.byteLength > MAX_ATTACHMENT_BYTES)
      throw tooLarge(
        `${cleanFilename(f.filename)} is ${f.content.byteLength} bytes, over the limit per file.`,
      );
  }
  const now = new Date().toISOString();
  const rows = files.map((f) => ({
    id: randomUUID(),
    execution_id: executionId,
    filename: cleanFilename(f.filename),
    content_type: /^[\w.+-]+\/[\w.+-]+$/.test(f.contentType) ? f.contentType : 'application/octet-stream',
    size: f.content.byteLength,
    content_base64: Buffer.from(f.content).toString('base64'),
    created_at: now,
  }));
  await db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom('tm_execution_attachments')
      .select(['size'])
      .where('execution_id', '=', executionId)
      .execute();
    const total = existing.reduce((s, r) => s + Number(r.size), 0) + rows.reduce((s, r) => s + r.size, 0);
    if (existing.length + rows.length > MAX_EXECUTION_ATTACHMENTS)
      throw tooLarge(`An execution keeps at most ${MAX_EXECUTION_ATTACHMENTS} files.`);
    if (total > MAX_EXECUTION_ATTACHMENT_BYTES)
      throw tooLarge(`The execution's files would total ${total} bytes, over the limit per execution.`);
    await trx.insertInto('tm_execution_attachments').values(rows).execute();
  });
  return rows.map(attachmentView);
}

// --- what a filing is about ------------------------------------------------------------

type Subject = {
  execution: Selectable<Database['tm_executions']>;
  testCase: Selectable<Database['tm_test_cases']>;
  mapping: Mapping;
  /** The requirements this test case verifies that live in Jira on the same instance. */
  requirements: { id: string; jiraKey: string; jiraIssueId: string }[];
};

async function subjectOf(db: Kysely<Database>, executionId: string): Promise<Subject> {
  const execution = await requireExecution(db, executionId);
  const testCase = await db
    .selectFrom('tm_test_cases')
    .selectAll()
    .where('id', '=', execution.test_case_id)
    .executeTakeFirstOrThrow();
  const mappingRow = await db
    .selectFrom('sync_mappings')
    .selectAll()
    .where('project_id', '=', testCase.project_id)
    .executeTakeFirst();
  if (!mappingRow) {
    throw new AppError('project_not_mapped', 'This test case’s project is not mapped to a Jira project.', {
      status: 409,
      hint: 'An administrator maps the project to Jira (POST /api/mappings); then defects can be filed.',
    });
  }
  const mapping = mappingFromRow(mappingRow);
  const reqs = await db
    .selectFrom('tm_test_case_requirements as l')
    .innerJoin('tm_issues as i', 'i.id', 'l.requirement_id')
    .select(['i.id', 'i.jira_key', 'i.jira_issue_id'])
    .where('l.test_case_id', '=', testCase.id)
    .where('i.jira_instance_id', '=', mapping.jiraInstanceId)
    .where('i.removed_at', 'is', null)
    .orderBy('i.jira_key')
    .execute();
  return {
    execution,
    testCase,
    mapping,
    requirements: reqs.map((r) => ({ id: r.id, jiraKey: r.jira_key, jiraIssueId: r.jira_issue_id })),
  };
}

function requireFailed(s: Subject): void {
  if (s.execution.status !== 'failed') {
    throw new AppError(
      'execution_not_failed',
      `This execution ${s.execution.status}; defects are filed from failed ones.`,
      {
        status: 409,
        hint: 'Record a failed execution (status "failed") and file the defect from it.',
      },
    );
  }
}

/** Jira wiki markup (API v2 takes it on every deployment). */
function escapeWiki(text: string): string {
  return text.replace(/([{}[\]|*_^~+\-#!])/g, '\\$1');
}

function prefillOf(s: Subject): { summary: string; description: string } {
  const steps = JSON.parse(s.testCase.steps) as { action: string; expected?: string }[];
  const lines = [`Test case *${escapeWiki(s.testCase.title)}* failed on ${s.execution.executed_at}.`, ''];
  if (steps.length) {
    lines.push('h3. Steps to reproduce');
    for (const step of steps)
      lines.push(
        `# ${escapeWiki(step.action)}${step.expected ? ` — expected: ${escapeWiki(step.expected)}` : ''}`,
      );
    lines.push('');
  }
  if (s.execution.notes)
    lines.push(
      'h3. What happened',
      '{noformat}',
      s.execution.notes.replace(/\{noformat\}/g, ''),
      '{noformat}',
      '',
    );
  if (s.requirements.length)
    lines.push(`Requirements: ${s.requirements.map((r) => r.jiraKey).join(', ')}`, '');
  lines.push(`_Filed from Testbridge (execution ${s.execution.id})._`);
  const summary = `Failed: ${s.testCase.title}`.replace(/[\r\n]+/g, ' ').slice(0, 255);
  return { summary, description: lines.join('\n') };
}

// --- the form ---------------------------------------------------------------------------

async function clientFor(deps: FilingDeps, mapping: Mapping, options: FilingOptions) {
  const counter = callCounter(deps.store.db as Kysely<Database>, mapping.id);
  const client = await jiraClientFor(deps, mapping.jiraInstanceId, {
    reason: 'defects',
    onCall: (e) => counter.onCall(e),
    ...(options.jira ?? {}),
  });
  return { client, counter };
}

async function defectTypeOf(
  client: JiraClient,
  mapping: Mapping,
  wanted: string | undefined,
): Promise<JiraIssueType & { candidates: JiraIssueType[] }> {
  let types: JiraIssueType[];
  try {
    types = await client.createMetaIssueTypes(mapping.jiraProjectKey);
  } catch (e) {
    // The old createmeta leaves out projects the account cannot create in: same meaning as [].
    if (!isJiraApiError(e, 'jira_not_found') || e.jiraStatus !== 200) throw e;
    types = [];
  }
  if (types.length === 0) {
    throw new AppError(
      'jira_cannot_create',
      `The Jira account of this connection cannot create issues in ${mapping.jiraProjectKey}.`,
      {
        status: 403,
        hint: `Give the Jira account Testbridge connects with the Browse Projects and Create Issues permissions in ${mapping.jiraProjectKey}, or reconnect with an account that has them.`,
      },
    );
  }
  const allowed = mapping.defectTypes.map((t) => t.toLowerCase());
  const candidates = types.filter((t) => allowed.includes(t.name.toLowerCase()));
  const pick = wanted
    ? candidates.find((t) => t.name.toLowerCase() === wanted.toLowerCase() || t.id === wanted)
    : candidates[0];
  if (!pick) {
    throw new AppError(
      'defect_type_unavailable',
      wanted
        ? `${wanted.slice(0, 100)} is not one of this mapping's defect types that Jira lets the account create in ${mapping.jiraProjectKey}.`
        : `None of this mapping's defect types (${mapping.defectTypes.join(', ')}) can be created in ${mapping.jiraProjectKey}.`,
      {
        status: wanted ? 400 : 409,
        hint: candidates.length
          ? `Use one of: ${candidates.map((t) => t.name).join(', ')}.`
          : `Jira offers ${types.map((t) => t.name).join(', ')} there; an administrator can change the mapping's defect types.`,
      },
    );
  }
  return { ...pick, candidates };
}

export type DefectFormView = {
  executionId: string;
  jiraProjectKey: string;
  issueType: { id: string; name: string };
  issueTypes: string[];
  fields: FormField[];
  attachments: AttachmentView[];
  requirements: { id: string; jiraKey: string }[];
};

export async function defectForm(
  deps: FilingDeps,
  executionId: string,
  query: { issueType?: string },
  options: FilingOptions = {},
): Promise<DefectFormView> {
  const db = deps.store.db as Kysely<Database>;
  const s = await subjectOf(db, executionId);
  requireFailed(s);
  const { client, counter } = await clientFor(deps, s.mapping, options);
  try {
    const type = await defectTypeOf(client, s.mapping, query.issueType);
    const meta = await client.createMetaFields(s.mapping.jiraProjectKey, type.id);
    return {
      executionId,
      jiraProjectKey: s.mapping.jiraProjectKey,
      issueType: { id: type.id, name: type.name },
      issueTypes: type.candidates.map((c) => c.name),
      fields: formFields(meta, prefillOf(s)),
      attachments: await listExecutionAttachments(db, executionId),
      requirements: s.requirements.map((r) => ({ id: r.id, jiraKey: r.jiraKey })),
    };
  } finally {
    await counter.flush();
    await client.close();
  }
}

/** Users the defect can be assigned to, for the form's picker (`id` is what `assignee` takes). */
export async function assignableUsers(
  deps: FilingDeps,
  executionId: string,
  text: string,
  options: FilingOptions = {},
): Promise<{ id: string; displayName: string }[]> {
  const s = await subjectOf(deps.store.db as Kysely<Database>, executionId);
  const { client, counter } = await clientFor(deps, s.mapping, options);
  try {
    const cloud = (await client.deployment()).cloud;
    const res = await client.transport.request({
      method: 'GET',
      path: '/rest/api/2/user/assignable/search',
      query: {
        project: s.mapping.jiraProjectKey,
        maxResults: 50,
        // Server/DC insist on a username filter; "." matches everyone there, as Jira's own UI does.
        ...(cloud ? (text ? { query: text } : {}) : { username: text || '.' }),
      },
      schema: z.array(
        z.looseObject({
          accountId: z.string().optional(),
          name: z.string().optional(),
          displayName: z.string().optional(),
        }),
      ),
    });
    return res.data.flatMap((u) => {
      const id = cloud ? u.accountId : u.name;
      return id ? [{ id, displayName: u.displayName ?? id }] : [];
    });
  } finally {
    await counter.flush();
    await client.close();
  }
}

// --- filing -----------------------------------------------------------------------------

export const defectFilingInputSchema = z
  .object({
    /** One of the mapping's defect types; the first Jira offers when absent. */
    issueType: z.string().trim().min(1).max(200).optional(),
    /** Jira field id -> value, checked against createmeta (summary/description are prefilled). */
    fields: z.record(z.string().max(200), z.unknown()).optional(),
    /** Which of the execution's uploaded files to attach; all of them when absent. */
    attachmentIds: z.array(z.string().max(100)).max(MAX_EXECUTION_ATTACHMENTS).optional(),
    /** Link to the test case's requirements' issues (default true). */
    linkRequirements: z.boolean().optional(),
    /** Jira link type by name, inward or outward description; "Relates" when absent. */
    linkType: z.string().trim().min(1).max(200).optional(),
    /** Comment added after filing; null for none. */
    comment: z.string().max(32_767).nullable().optional(),
    /** Assignable user: accountId on Cloud, user name on Server/Data Center. */
    assignee: z.string().trim().min(1).max(200).optional(),
    /** Transition by name or id, applied after filing. */
    transition: z.string().trim().min(1).max(200).optional(),
  })
  .strict();
export type DefectFilingInput = z.infer<typeof defectFilingInputSchema>;

type Progress = {
  /** Set before the create call: if its answer is lost, a retry looks for the issue first. */
  createAttempted?: boolean;
  attachments: string[];
  links: string[];
  linkType?: string;
  comment?: boolean;
  assigned?: boolean;
  transitioned?: boolean;
  warnings: string[];
};

/** What the filing call answers; a repeat of the key answers the same (replayed: true). */
export type DefectFilingView = {
  filingId: string;
  executionId: string;
  idempotencyKey: string;
  state: 'done' | 'incomplete' | 'in_progress';
  jiraIssueId: string | null;
  jiraKey: string | null;
  jiraUrl: string | null;
  defectId: string | null;
  attachments: string[];
  links: string[];
  linkType: string | null;
  commented: boolean;
  assigned: boolean;
  transitioned: boolean;
  warnings: string[];
  lastError: string | null;
  replayed: boolean;
  createdAt: string;
};

type FilingRow = Selectable<TmDefectFilingsTable>;
type StoredRequest = { input: DefectFilingInput; fields: Record<string, unknown>; attachmentIds: string[] };

const CLAIM_MS = 5 * 60_000;

export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

function filingView(row: FilingRow, baseUrl: string | undefined, replayed: boolean): DefectFilingView {
  const p = JSON.parse(row.progress_json) as Progress;
  return {
    filingId: row.id,
    executionId: row.execution_id,
    idempotencyKey: row.idempotency_key,
    state: row.state as DefectFilingView['state'],
    jiraIssueId: row.jira_issue_id,
    jiraKey: row.jira_key,
    jiraUrl: row.jira_key && baseUrl ? `${baseUrl.replace(/\/+$/, '')}/browse/${row.jira_key}` : null,
    defectId: row.defect_id,
    attachments: p.attachments,
    links: p.links,
    linkType: p.linkType ?? null,
    commented: p.comment === true,
    assigned: p.assigned === true,
    transitioned: p.transitioned === true,
    warnings: p.warnings,
    lastError: row.last_error,
    replayed,
    createdAt: row.created_at,
  };
}

function hashOf(input: DefectFilingInput): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(canonical(input)))
    .digest('hex');
}

async function baseUrlOf(deps: FilingDeps, instanceId: string): Promise<string | undefined> {
  return (await findInstance(deps, instanceId))?.base_url;
}

async function findFiling(db: Kysely<Database>, executionId: string, key: string) {
  return db
    .selectFrom('tm_defect_filings')
    .selectAll()
    .where('execution_id', '=', executionId)
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
}

export async function listDefectFilings(deps: FilingDeps, executionId: string): Promise<DefectFilingView[]> {
  const db = deps.store.db as Kysely<Database>;
  await requireExecution(db, executionId);
  const rows = await db
    .selectFrom('tm_defect_filings')
    .selectAll()
    .where('execution_id', '=', executionId)
    .orderBy('created_at')
    .execute();
  const out: DefectFilingView[] = [];
  for (const r of rows) out.push(filingView(r, await baseUrlOf(deps, r.jira_instance_id), false));
  return out;
}

/**
 * Takes the filing row for this attempt: false when another request holds it right now.
 * A stale claim (a crashed process) expires, so the work is never stuck.
 */
async function claim(db: Kysely<Database>, row: FilingRow): Promise<boolean> {
  const now = new Date();
  const res = await db
    .updateTable('tm_defect_filings')
    .set({
      state: 'in_progress',
      claimed_until: new Date(now.getTime() + CLAIM_MS).toISOString(),
      updated_at: now.toISOString(),
    })
    .where('id', '=', row.id)
    .where((eb) =>
      eb.or([
        eb('state', '=', 'incomplete'),
        eb('claimed_until', 'is', null),
        eb('claimed_until', '<', now.toISOString()),
      ]),
    )
    .where('state', '!=', 'done')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

function inProgress(): AppError {
  return new AppError(
    'defect_filing_in_progress',
    'This defect is being filed by another request right now.',
    {
      status: 409,
      hint: 'Wait a few seconds and send the same request with the same Idempotency-Key to get its result.',
    },
  );
}

/**
 * Files the defect (or resumes or replays the filing with this Idempotency-Key). Returns the
 * view and whether this call created the Jira issue.
 */
export async function fileDefect(
  deps: FilingDeps,
  request: { executionId: string; idempotencyKey: string; input: DefectFilingInput; userId: string },
  options: FilingOptions = {},
): Promise<{ view: DefectFilingView; created: boolean }> {
  const db = deps.store.db as Kysely<Database>;
  const { executionId, idempotencyKey, input } = request;
  if (!IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new AppError('idempotency_key_invalid', 'The Idempotency-Key header is missing or not valid.', {
      hint: 'Send a fresh unique Idempotency-Key (1-200 visible ASCII characters, e.g. a UUID) per filing attempt, and the same one when retrying it.',
    });
  }
  const hash = hashOf(input);
  const id = randomUUID();
  let row = await findFiling(db, executionId, idempotencyKey);
  if (row) return resume(deps, row, hash, options);

  const s = await subjectOf(db, executionId);
  requireFailed(s);
  const { client, counter } = await clientFor(deps, s.mapping, options);
  let fields: Record<string, unknown>;
  let attachmentIds: string[];
  try {
    const deployment = await client.deployment();
    const type = await defectTypeOf(client, s.mapping, input.issueType);
    const form = formFields(await client.createMetaFields(s.mapping.jiraProjectKey, type.id), prefillOf(s));
    fields = checkFields({
      form,
      given: input.fields ?? {},
      fixed: { project: { id: s.mapping.jiraProjectId }, issuetype: { id: type.id } },
      cloud: deployment.cloud,
      where: `${type.name} in ${s.mapping.jiraProjectKey}`,
    });
    fields = withMarker(fields, markerOf(id));
    const uploaded = await listExecutionAttachments(db, executionId);
    attachmentIds = input.attachmentIds ?? uploaded.map((a) => a.id);
    const unknown = attachmentIds.filter((id) => !uploaded.some((a) => a.id === id));
    const errors: Record<string, string> = {};
    if (unknown.length)
      errors.attachmentIds = `${unknown.join(', ').slice(0, 200)} are not files of this execution`;
    if (
      input.assignee &&
      !(await isAssignable(client, s.mapping.jiraProjectKey, input.assignee, deployment.cloud))
    )
      errors.assignee = `${input.assignee} is not a user who can be assigned issues in ${s.mapping.jiraProjectKey}`;
    if (Object.keys(errors).length)
      throw new FieldErrors(
        `The defect cannot be filed: ${Object.keys(errors).join(', ')} need attention.`,
        errors,
        'Use attachment ids from GET /api/executions/:id/attachments and an assignable Jira user (accountId on Cloud, user name on Server/Data Center).',
      );
  } finally {
    await counter.flush();
    await client.close();
  }

  const now = new Date().toISOString();
  const stored: StoredRequest = { input, fields, attachmentIds };
  try {
    await db
      .insertInto('tm_defect_filings')
      .values({
        id,
        execution_id: executionId,
        idempotency_key: idempotencyKey,
        request_hash: hash,
        request_json: JSON.stringify(stored),
        state: 'in_progress',
        claimed_until: new Date(Date.now() + CLAIM_MS).toISOString(),
        jira_instance_id: s.mapping.jiraInstanceId,
        jira_issue_id: null,
        jira_key: null,
        defect_id: null,
        progress_json: JSON.stringify({ attachments: [], links: [], warnings: [] } satisfies Progress),
        last_error: null,
        created_by: request.userId,
        created_at: now,
        updated_at: now,
      })
      .execute();
  } catch (e) {
    // The same key raced us between the lookup and the insert: answer as a repeat.
    row = await findFiling(db, executionId, idempotencyKey);
    if (row) return resume(deps, row, hash, options);
    throw e;
  }
  const fresh = await db
    .selectFrom('tm_defect_filings')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return run(deps, fresh, s, options);
}

async function resume(
  deps: FilingDeps,
  row: FilingRow,
  hash: string,
  options: FilingOptions,
): Promise<{ view: DefectFilingView; created: boolean }> {
  const db = deps.store.db as Kysely<Database>;
  if (row.request_hash !== hash) {
    throw new AppError(
      'idempotency_key_reused',
      'This Idempotency-Key was already used for a different defect request on this execution.',
      {
        status: 422,
        hint: 'Send the original request to retry it, or use a new Idempotency-Key for a new filing.',
      },
    );
  }
  if (row.state === 'done')
    return { view: filingView(row, await baseUrlOf(deps, row.jira_instance_id), true), created: false };
  if (!(await claim(db, row))) throw inProgress();
  const s = await subjectOf(db, row.execution_id);
  const claimed = await db
    .selectFrom('tm_defect_filings')
    .selectAll()
    .where('id', '=', row.id)
    .executeTakeFirstOrThrow();
  return run(deps, claimed, s, options);
}

async function isAssignable(
  client: JiraClient,
  projectKey: string,
  user: string,
  cloud: boolean,
): Promise<boolean> {
  const res = await client.transport.request({
    method: 'GET',
    path: '/rest/api/2/user/assignable/search',
    query: { project: projectKey, maxResults: 50, ...(cloud ? { accountId: user } : { username: user }) },
    schema: z.array(z.looseObject({ accountId: z.string().optional(), name: z.string().optional() })),
  });
  return res.data.some((u) => (cloud ? u.accountId === user : u.name?.toLowerCase() === user.toLowerCase()));
}

const linkTypesSchema = z.looseObject({
  issueLinkTypes: z.array(
    z.looseObject({
      id: z.string(),
      name: z.string(),
      inward: z.string().optional(),
      outward: z.string().optional(),
    }),
  ),
});

/** The instance's link type by name (or inward/outward description); Jira admins can rename them. */
async function linkTypeName(client: JiraClient, wanted: string | undefined): Promise<string | undefined> {
  const res = await client.transport.request({
    method: 'GET',
    path: '/rest/api/2/issueLinkType',
    schema: linkTypesSchema,
  });
  const types = res.data.issueLinkTypes;
  const match = (w: string) => {
    const l = w.toLowerCase();
    return (
      types.find((t) => t.name.toLowerCase() === l) ??
      types.find((t) => t.outward?.toLowerCase() === l || t.inward?.toLowerCase() === l)
    );
  };
  return (wanted ? match(wanted) : (match('Relates') ?? match('relates to')))?.name;
}

/** The steps still missing for this filing, each recorded as soon as Jira confirms it. */
async function run(
  deps: FilingDeps,
  row: FilingRow,
  s: Subject,
  options: FilingOptions,
): Promise<{ view: DefectFilingView; created: boolean }> {
  const db = deps.store.db as Kysely<Database>;
  const stored = JSON.parse(row.request_json) as StoredRequest;
  const { input } = stored;
  const progress = JSON.parse(row.progress_json) as Progress;
  let jiraIssueId = row.jira_issue_id;
  let jiraKey = row.jira_key;
  let defectId = row.defect_id;
  let created = false;
  const save = async (extra: Partial<Selectable<TmDefectFilingsTable>> = {}) => {
    await db
      .updateTable('tm_defect_filings')
      .set({
        jira_issue_id: jiraIssueId,
        jira_key: jiraKey,
        defect_id: defectId,
        progress_json: JSON.stringify(progress),
        updated_at: new Date().toISOString(),
        ...extra,
      })
      .where('id', '=', row.id)
      .execute();
  };
  const { client, counter } = await clientFor(deps, s.mapping, options);
  let step = 'create the issue';
  try {
    const cloud = (await client.deployment()).cloud;
    if (!jiraIssueId && progress.createAttempted) {
      step = 'look for an issue created by an earlier attempt';
      const found = await findByMarker(client, s.mapping, markerOf(row.id));
      if (found) {
        jiraIssueId = found.id;
        jiraKey = found.key;
        await save();
      }
    }
    if (!jiraIssueId) {
      step = 'create the issue';
      progress.createAttempted = true;
      await save();
      const issue = await client.createIssue({ fields: stored.fields });
      jiraIssueId = issue.id;
      jiraKey = issue.key;
      created = true;
      await save();
    }
    const key = jiraKey as string;
    step = 'store the defect';
    if (!defectId) {
      defectId = await storeDefect(db, client, s.mapping, jiraIssueId);
      await save();
    }
    for (const attachmentId of stored.attachmentIds) {
      if (progress.attachments.includes(attachmentId)) continue;
      const file = await db
        .selectFrom('tm_execution_attachments')
        .selectAll()
        .where('id', '=', attachmentId)
        .executeTakeFirst();
      if (!file) {
        progress.warnings.push(`Attachment ${attachmentId} was removed before it could be filed.`);
        progress.attachments.push(attachmentId);
        await save();
        continue;
      }
      step = `attach ${file.filename}`;
      await client.addAttachment(key, {
        filename: file.filename,
        contentType: file.content_type,
        content: Buffer.from(file.content_base64, 'base64'),
      });
      progress.attachments.push(attachmentId);
      await save();
    }
    if (input.linkRequirements !== false && s.requirements.some((r) => !progress.links.includes(r.jiraKey))) {
      step = 'look up the link type';
      const type = progress.linkType ?? (await linkTypeName(client, input.linkType));
      if (!type) {
        progress.warnings.push(
          `Jira has no link type ${input.linkType ?? 'Relates'}; the defect was not linked to ${s.requirements.map((r) => r.jiraKey).join(', ')}.`,
        );
        progress.links.push(...s.requirements.map((r) => r.jiraKey));
        await save();
      } else {
        progress.linkType = type;
        for (const r of s.requirements) {
          if (progress.links.includes(r.jiraKey)) continue;
          step = `link to ${r.jiraKey}`;
          await client.createIssueLink({ type, inwardIssue: r.jiraKey, outwardIssue: key });
          progress.links.push(r.jiraKey);
          await save();
        }
      }
    }
    if (input.comment !== null && !progress.comment) {
      step = 'add the comment';
      await client.addComment(
        key,
        input.comment ??
          `Filed from Testbridge: test case "${s.testCase.title}" failed on ${s.execution.executed_at} (execution ${s.execution.id}).`,
      );
      progress.comment = true;
      await save();
    }
    if (input.assignee && !progress.assigned) {
      step = `assign it to ${input.assignee}`;
      await client.transport.request({
        method: 'PUT',
        path: `/rest/api/2/issue/${encodeURIComponent(key)}/assignee`,
        json: cloud ? { accountId: input.assignee } : { name: input.assignee },
      });
      progress.assigned = true;
      await save();
    }
    if (input.transition && !progress.transitioned) {
      step = `transition it (${input.transition})`;
      const wanted = input.transition.toLowerCase();
      const transitions = await client.getTransitions(key);
      const t = transitions.find((x) => x.id === input.transition || x.name.toLowerCase() === wanted);
      if (!t) {
        // The issue exists and is linked: a workflow that lacks the step is reported, not fatal.
        progress.warnings.push(
          `Jira offers no transition ${input.transition} for ${key} (available: ${transitions.map((x) => x.name).join(', ') || 'none'}); it was left in its first status.`,
        );
      } else {
        await client.transitionIssue(key, { transitionId: t.id });
      }
      progress.transitioned = true;
      await save();
    }
    step = 'refresh the stored defect';
    // Assign/transition changed the issue: store its current state (the sync keeps it after).
    if (input.assignee || input.transition) await storeDefect(db, client, s.mapping, jiraIssueId);
    await save({ state: 'done', claimed_until: null, last_error: null });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (!jiraIssueId && step === 'create the issue' && refusedForSure(e)) {
      // Jira answered the create with a definite refusal: nothing exists in Jira, so the key
      // is released and the caller may fix the request and send it again under the same key.
      await db.deleteFrom('tm_defect_filings').where('id', '=', row.id).execute();
    } else {
      await save({
        state: 'incomplete',
        claimed_until: null,
        last_error: `${step}: ${message}`.slice(0, 2000),
      });
    }
    throw explain(e, step, jiraKey);
  } finally {
    await counter.flush();
    await client.close();
  }
  const done = await db
    .selectFrom('tm_defect_filings')
    .selectAll()
    .where('id', '=', row.id)
    .executeTakeFirstOrThrow();
  return { view: filingView(done, await baseUrlOf(deps, done.jira_instance_id), false), created };
}

/**
 * A word unique to the filing, put in the description: Jira's create is not idempotent, so
 * when its answer is lost (timeout, 5xx from a proxy after Jira committed) the retry can find
 * the issue with a text search instead of creating a second one.
 */
const markerOf = (filingId: string) => `tbfiling${filingId.replace(/-/g, '')}`;

function withMarker(fields: Record<string, unknown>, marker: string): Record<string, unknown> {
  const d = fields.description;
  if (typeof d !== 'string' || d.includes(marker)) return fields;
  return { ...fields, description: `${d}\n\n_Testbridge filing ${marker}_` };
}

async function findByMarker(
  client: JiraClient,
  mapping: Mapping,
  marker: string,
): Promise<{ id: string; key: string } | undefined> {
  const jql = `project = ${mapping.jiraProjectId} AND text ~ "${marker}" ORDER BY created ASC`;
  for await (const issue of client.searchIssues(jql, { fields: ['summary', 'description'], pageSize: 5 })) {
    const description = issue.fields?.description;
    // Full-text search may match loosely: trust only an exact marker in the description.
    if (
      typeof description === 'string'
        ? description.includes(marker)
        : JSON.stringify(description ?? '').includes(marker)
    )
      return { id: issue.id, key: issue.key };
  }
  return undefined;
}

/** The local defect, stored exactly as the sync stores any issue of the mapped project. */
async function storeDefect(
  db: Kysely<Database>,
  client: JiraClient,
  mapping: Mapping,
  jiraIssueId: string,
): Promise<string | null> {
  const issue = await client.getIssue(jiraIssueId, { fields: searchFieldsFor(mapping) });
  await applyIssue(db, mapping, issue);
  const stored = await db
    .selectFrom('tm_issues')
    .select('id')
    .where('jira_instance_id', '=', mapping.jiraInstanceId)
    .where('jira_issue_id', '=', jiraIssueId)
    .executeTakeFirst();
  return stored?.id ?? null;
}

/** A 4xx other than 408/409/429: Jira looked at the request and did not act on it. */
function refusedForSure(e: unknown): boolean {
  return (
    isJiraApiError(e) &&
    e.jiraStatus !== undefined &&
    e.jiraStatus >= 400 &&
    e.jiraStatus < 500 &&
    ![408, 409, 429].includes(e.jiraStatus)
  );
}

/** Jira's failure, said with the step it stopped at and how a retry continues. */
function explain(e: unknown, step: string, jiraKey: string | null): unknown {
  if (!(e instanceof AppError)) return e;
  const resumeHint = jiraKey
    ? ` ${jiraKey} is already in Jira: retry with the same Idempotency-Key and Testbridge resumes from this step without filing it twice.`
    : refusedForSure(e)
      ? ' Nothing was created in Jira; fix the request and send it again.'
      : ' Retry with the same Idempotency-Key: if Jira created the issue anyway, Testbridge finds it instead of filing it twice.';
  if (isJiraApiError(e) && e.code === 'jira_bad_request' && Object.keys(e.fieldErrors).length && !jiraKey) {
    return new FieldErrors(
      `Jira refused the defect: ${Object.entries(e.fieldErrors)
        .map(([f, m]) => `${f}: ${m}`)
        .join('; ')}`.slice(0, 1000),
      e.fieldErrors,
      'Fix the fields named in error.fields and send the request again (the same Idempotency-Key may be reused: nothing was filed).',
    );
  }
  return new AppError(e.code, `Filing the defect stopped at "${step}": ${e.message}`, {
    status: e.status,
    hint: `${e.hint ?? ''}${resumeHint}`.trim(),
    cause: e,
  });
}
