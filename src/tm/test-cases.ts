/**
 * Test cases, their executions, and traceability (requirement -> test cases -> last result).
 * Kept simple on purpose: what the sync and the UI need now.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import { AppError, notFound } from '../errors.js';
import type { Database, TmExecutionStatus, TmTestCasesTable } from '../store/schema.js';

const stepSchema = z
  .object({ action: z.string().max(5_000), expected: z.string().max(5_000).optional() })
  .strict();

export const testCaseInputSchema = z
  .object({
    title: z.string().trim().min(1, { error: 'is required' }).max(500),
    steps: z.array(stepSchema).max(200).optional(),
    /** Requirement ids (from GET /api/projects/:id/requirements) this case verifies. */
    requirementIds: z.array(z.string().max(100)).max(500).optional(),
  })
  .strict();
export type TestCaseInput = z.infer<typeof testCaseInputSchema>;
export const testCaseUpdateSchema = testCaseInputSchema.partial().strict();
export type TestCaseUpdate = z.infer<typeof testCaseUpdateSchema>;

export const executionInputSchema = z
  .object({
    status: z.enum(['passed', 'failed', 'blocked'], { error: 'must be passed, failed or blocked' }),
    notes: z.string().max(20_000).optional(),
    /** When the run happened; defaults to now. */
    executedAt: z.iso.datetime({ error: 'must be an ISO-8601 date-time' }).optional(),
  })
  .strict();
export type ExecutionInput = z.infer<typeof executionInputSchema>;

export type ExecutionView = {
  id: string;
  testCaseId: string;
  status: TmExecutionStatus;
  notes: string | null;
  executedAt: string;
};

export type TestCaseView = {
  id: string;
  projectId: string;
  title: string;
  steps: { action: string; expected?: string }[];
  requirementIds: string[];
  lastExecution: ExecutionView | null;
  createdAt: string;
  updatedAt: string;
};

type CaseRow = Selectable<TmTestCasesTable>;

async function requireCase(db: Kysely<Database>, id: string): Promise<CaseRow> {
  const row = await db.selectFrom('tm_test_cases').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`Test case ${id.slice(0, 100)}`, 'List the project’s test cases to find its id.');
  return row;
}

async function checkRequirements(db: Kysely<Database>, projectId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const found = await db
    .selectFrom('tm_issues')
    .select('id')
    .where('project_id', '=', projectId)
    .where('id', 'in', ids)
    .execute();
  const known = new Set(found.map((f) => f.id));
  const unknown = ids.find((id) => !known.has(id));
  if (unknown) {
    throw new AppError(
      'requirement_not_found',
      `Requirement ${unknown.slice(0, 100)} is not in this project.`,
      {
        status: 400,
        hint: 'Use ids from GET /api/projects/:id/requirements of the same project.',
      },
    );
  }
}

async function views(db: Kysely<Database>, rows: CaseRow[]): Promise<TestCaseView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const links = await db
    .selectFrom('tm_test_case_requirements')
    .selectAll()
    .where('test_case_id', 'in', ids)
    .execute();
  const last = await lastExecutions(db, ids);
  return rows.map((r) => ({
    id: r.id,
    projectId: r.project_id,
    title: r.title,
    steps: JSON.parse(r.steps) as TestCaseView['steps'],
    requirementIds: links.filter((l) => l.test_case_id === r.id).map((l) => l.requirement_id),
    lastExecution: last.get(r.id) ?? null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}

/** The newest execution of each test case (by executedAt, then insertion). */
async function lastExecutions(db: Kysely<Database>, caseIds: string[]): Promise<Map<string, ExecutionView>> {
  const out = new Map<string, ExecutionView>();
  if (caseIds.length === 0) return out;
  const rows = await db
    .selectFrom('tm_executions')
    .selectAll()
    .where('test_case_id', 'in', caseIds)
    .orderBy('executed_at', 'desc')
    .orderBy('created_at', 'desc')
    .execute();
  for (const r of rows) if (!out.has(r.test_case_id)) out.set(r.test_case_id, executionView(r));
  return out;
}

function executionView(r: {
  id: string;
  test_case_id: string;
  status: TmExecutionStatus;
  notes: string | null;
  executed_at: string;
}): ExecutionView {
  return {
    id: r.id,
    testCaseId: r.test_case_id,
    status: r.status,
    notes: r.notes,
    executedAt: r.executed_at,
  };
}

export async function listTestCases(db: Kysely<Database>, projectId: string): Promise<TestCaseView[]> {
  return views(
    db,
    await db
      .selectFrom('tm_test_cases')
      .selectAll()
      .where('project_id', '=', projectId)
      .orderBy('created_at')
      .execute(),
  );
}

export async function getTestCase(db: Kysely<Database>, id: string): Promise<TestCaseView> {
  return (await views(db, [await requireCase(db, id)]))[0] as TestCaseView;
}

export async function createTestCase(
  db: Kysely<Database>,
  projectId: string,
  input: TestCaseInput,
): Promise<TestCaseView> {
  const reqs = [...new Set(input.requirementIds ?? [])];
  await checkRequirements(db, projectId, reqs);
  const now = new Date().toISOString();
  const id = randomUUID();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('tm_test_cases')
      .values({
        id,
        project_id: projectId,
        title: input.title,
        steps: JSON.stringify(input.steps ?? []),
        created_at: now,
        updated_at: now,
      })
      .execute();
    if (reqs.length)
      await trx
        .insertInto('tm_test_case_requirements')
        .values(reqs.map((r) => ({ test_case_id: id, requirement_id: r })))
        .execute();
  });
  return getTestCase(db, id);
}

export async function updateTestCase(
  db: Kysely<Database>,
  id: string,
  input: TestCaseUpdate,
): Promise<TestCaseView> {
  const row = await requireCase(db, id);
  const reqs = input.requirementIds ? [...new Set(input.requirementIds)] : undefined;
  if (reqs) await checkRequirements(db, row.project_id, reqs);
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('tm_test_cases')
      .set({
        ...(input.title !== undefined ? { title: input.title } : {}),
        ...(input.steps !== undefined ? { steps: JSON.stringify(input.steps) } : {}),
        updated_at: new Date().toISOString(),
      })
      .where('id', '=', id)
      .execute();
    if (reqs) {
      await trx.deleteFrom('tm_test_case_requirements').where('test_case_id', '=', id).execute();
      if (reqs.length)
        await trx
          .insertInto('tm_test_case_requirements')
          .values(reqs.map((r) => ({ test_case_id: id, requirement_id: r })))
          .execute();
    }
  });
  return getTestCase(db, id);
}

export async function deleteTestCase(db: Kysely<Database>, id: string): Promise<void> {
  await requireCase(db, id);
  await db.deleteFrom('tm_test_cases').where('id', '=', id).execute();
}

export async function recordExecution(
  db: Kysely<Database>,
  testCaseId: string,
  input: ExecutionInput,
): Promise<ExecutionView> {
  await requireCase(db, testCaseId);
  const now = new Date().toISOString();
  const row = {
    id: randomUUID(),
    test_case_id: testCaseId,
    status: input.status,
    notes: input.notes ?? null,
    executed_at: input.executedAt ? new Date(input.executedAt).toISOString() : now,
    created_at: now,
  };
  await db.insertInto('tm_executions').values(row).execute();
  // Filing a defect into Jira from a failed run is a later issue: see defects.ts for the seam.
  return executionView(row);
}

export async function listExecutions(db: Kysely<Database>, testCaseId: string): Promise<ExecutionView[]> {
  await requireCase(db, testCaseId);
  const rows = await db
    .selectFrom('tm_executions')
    .selectAll()
    .where('test_case_id', '=', testCaseId)
    .orderBy('executed_at', 'desc')
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map(executionView);
}

export type TraceabilityRow = {
  requirementId: string;
  jiraKey: string;
  summary: string | null;
  testCases: { id: string; title: string; lastStatus: TmExecutionStatus | null }[];
  /** failed > blocked > passed over the last runs; `untested` without cases or runs. */
  coverage: 'passed' | 'failed' | 'blocked' | 'untested';
};

/** Requirement -> test cases -> last execution status, for the live requirements of a project. */
export async function traceability(db: Kysely<Database>, projectId: string): Promise<TraceabilityRow[]> {
  const reqs = await db
    .selectFrom('tm_issues')
    .select(['id', 'jira_key', 'summary'])
    .where('project_id', '=', projectId)
    .where('kind', '=', 'requirement')
    .where('removed_reason', 'is', null)
    .orderBy('jira_key')
    .execute();
  const links = await db
    .selectFrom('tm_test_case_requirements as l')
    .innerJoin('tm_test_cases as c', 'c.id', 'l.test_case_id')
    .select(['l.requirement_id', 'c.id', 'c.title'])
    .where('c.project_id', '=', projectId)
    .execute();
  const last = await lastExecutions(db, [...new Set(links.map((l) => l.id))]);
  return reqs.map((r) => {
    const cases = links
      .filter((l) => l.requirement_id === r.id)
      .map((l) => ({ id: l.id, title: l.title, lastStatus: last.get(l.id)?.status ?? null }));
    const statuses = new Set(cases.map((c) => c.lastStatus));
    const coverage: TraceabilityRow['coverage'] =
      cases.length === 0 || statuses.has(null)
        ? statuses.has('failed')
          ? 'failed'
          : 'untested'
        : statuses.has('failed')
          ? 'failed'
          : statuses.has('blocked')
            ? 'blocked'
            : 'passed';
    return { requirementId: r.id, jiraKey: r.jira_key, summary: r.summary, testCases: cases, coverage };
  });
}
