/**
 * Applying Jira's state to the test-management core. Every function here is idempotent and
 * order-safe: the Jira issue id is the identity (keys change when issues move), and a state
 * whose `updated` is older than the stored one is never written. The webhook inbox, the full
 * import and reconciliation all go through these functions, so they converge to the same rows.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Mapping, SyncedField } from '../integration/mappings-model.js';
import type { Database, TmIssueKind, TmIssuesTable, TmRemovedReason } from '../store/schema.js';
import { adfToText } from './apply-text.js';

export type ApplyIssueOutcome =
  /** A new requirement or defect row. */
  | 'created'
  /** Stored state replaced by a newer (or equally new) one. */
  | 'updated'
  /** Same `updated` and same content: a duplicate delivery or an unchanged page. */
  | 'unchanged'
  /** Older than what is stored (a late or reordered delivery): ignored. */
  | 'stale'
  /** The issue now lives in another Jira project: the row is marked moved. */
  | 'moved-out'
  /** Retyped to an issue type the mapping does not sync: the row is marked retyped. */
  | 'removed'
  /** Nothing to do: an issue type the mapping does not sync, and no row for it. */
  | 'ignored'
  /** The payload lacks what we need (id, updated, issue type, project): fetch the issue. */
  | 'incomplete';

export type DbLike = Kysely<Database>;
type IssueRow = Selectable<TmIssuesTable>;

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;

/** Jira timestamps (`2026-11-29T04:02:17.000+0000`) as ISO-8601 UTC, which sorts as text. */
export function normalizeJiraTime(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value).toISOString();
  if (typeof value !== 'string') return undefined;
  // Date.parse wants +00:00, Jira sends +0000.
  const fixed = value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(fixed);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** What we keep of a Jira issue, parsed from search results, GET /issue or a webhook payload. */
export type ParsedIssue = {
  id: string;
  key: string;
  projectId: string;
  projectKey: string | undefined;
  issueType: string;
  issueTypeId: string | null;
  updated: string;
  /** Values for the synced fields present in the payload; absent keys keep the stored value. */
  values: Partial<IssueValues>;
};

export type IssueValues = {
  summary: string | null;
  description: string | null;
  status: string | null;
  status_category: string | null;
  priority: string | null;
  labels: string;
  components: string;
  fix_version_ids: string;
  assignee_id: string | null;
  assignee_name: string | null;
  parent_jira_id: string | null;
  parent_key: string | null;
};

const FIELD_COLUMNS: Record<SyncedField, (keyof IssueValues)[]> = {
  summary: ['summary'],
  description: ['description'],
  status: ['status', 'status_category'],
  priority: ['priority'],
  labels: ['labels'],
  components: ['components'],
  fixVersions: ['fix_version_ids'],
  assignee: ['assignee_id', 'assignee_name'],
  parent: ['parent_jira_id', 'parent_key'],
};

/** The Jira field ids a mapping needs in search results (and the ones the apply logic itself needs). */
export function searchFieldsFor(mapping: Pick<Mapping, 'syncedFields'>): string[] {
  const jiraField: Record<SyncedField, string> = {
    summary: 'summary',
    description: 'description',
    status: 'status',
    priority: 'priority',
    labels: 'labels',
    components: 'components',
    fixVersions: 'fixVersions',
    assignee: 'assignee',
    parent: 'parent',
  };
  return ['project', 'issuetype', 'updated', ...mapping.syncedFields.map((f) => jiraField[f])];
}

function names(list: unknown, pick: (item: Json) => string | undefined): string[] {
  if (!Array.isArray(list)) return [];
  const out: string[] = [];
  for (const item of list) {
    if (typeof item === 'string') out.push(item);
    else if (isObj(item)) {
      const v = pick(item);
      if (v !== undefined) out.push(v);
    }
  }
  return out;
}

export function parseIssue(issueJson: unknown): ParsedIssue | undefined {
  if (!isObj(issueJson)) return undefined;
  const id = str(issueJson.id);
  const key = str(issueJson.key);
  const fields = isObj(issueJson.fields) ? issueJson.fields : undefined;
  if (!id || !key || !fields) return undefined;
  const updated = normalizeJiraTime(fields.updated);
  const project = isObj(fields.project) ? fields.project : undefined;
  const projectId = str(project?.id);
  const type = isObj(fields.issuetype) ? fields.issuetype : undefined;
  const issueType = str(type?.name);
  if (!updated || !projectId || !issueType) return undefined;

  const values: Partial<IssueValues> = {};
  const has = (name: string) => Object.hasOwn(fields, name);
  if (has('summary')) values.summary = str(fields.summary) ?? null;
  if (has('description')) {
    const d = fields.description;
    values.description = d === null || d === undefined ? null : typeof d === 'string' ? d : adfToText(d);
  }
  if (has('status')) {
    const s = isObj(fields.status) ? fields.status : undefined;
    values.status = str(s?.name) ?? null;
    const cat = isObj(s?.statusCategory) ? s.statusCategory : undefined;
    values.status_category = str(cat?.key) ?? null;
  }
  if (has('priority')) values.priority = isObj(fields.priority) ? (str(fields.priority.name) ?? null) : null;
  if (has('labels')) values.labels = JSON.stringify(names(fields.labels, () => undefined));
  if (has('components')) values.components = JSON.stringify(names(fields.components, (c) => str(c.name)));
  if (has('fixVersions'))
    values.fix_version_ids = JSON.stringify(names(fields.fixVersions, (v) => str(v.id)));
  if (has('assignee')) {
    const a = isObj(fields.assignee) ? fields.assignee : undefined;
    values.assignee_id = a ? (str(a.accountId) ?? str(a.key) ?? str(a.name) ?? null) : null;
    values.assignee_name = a ? (str(a.displayName) ?? str(a.name) ?? null) : null;
  }
  if (has('parent')) {
    const p = isObj(fields.parent) ? fields.parent : undefined;
    values.parent_jira_id = str(p?.id) ?? null;
    values.parent_key = str(p?.key) ?? null;
  }
  return {
    id,
    key,
    projectId,
    projectKey: str(project?.key),
    issueType,
    issueTypeId: str(type?.id) ?? null,
    updated,
    values,
  };
}

export function kindOf(
  mapping: Pick<Mapping, 'requirementTypes' | 'defectTypes'>,
  issueType: string,
): TmIssueKind | undefined {
  const t = issueType.toLowerCase();
  if (mapping.requirementTypes.some((x) => x.toLowerCase() === t)) return 'requirement';
  if (mapping.defectTypes.some((x) => x.toLowerCase() === t)) return 'defect';
  return undefined;
}

/** Removed rows come back only for a strictly newer state: a deletion or scan result is final for what it saw. */
function canOverwrite(row: IssueRow, updated: string, revive: boolean): boolean {
  // Not even a search result revives a deletion: the page may have been read before the
  // delete event we applied since. Jira never reuses an id, so a deletion is final.
  if (revive && row.removed_reason !== 'deleted') return updated >= row.jira_updated;
  if (
    row.removed_reason === 'deleted' ||
    row.removed_reason === 'out-of-scope' ||
    row.removed_reason === 'unmapped'
  )
    return updated > row.jira_updated;
  return updated >= row.jira_updated;
}

const nowIso = () => new Date().toISOString();

async function findIssueRow(
  db: DbLike,
  instanceId: string,
  jiraIssueId: string,
): Promise<IssueRow | undefined> {
  return db
    .selectFrom('tm_issues')
    .selectAll()
    .where('jira_instance_id', '=', instanceId)
    .where('jira_issue_id', '=', jiraIssueId)
    .executeTakeFirst();
}

/**
 * Compare-and-set on the row as it was read: a concurrent writer (another worker, the import)
 * makes this a no-op and the caller reads again, so an older state can never win a race.
 */
async function guardedUpdate(db: DbLike, row: IssueRow, set: Partial<IssueRow>): Promise<boolean> {
  let q = db
    .updateTable('tm_issues')
    .set({ ...set, updated_at: nowIso() })
    .where('id', '=', row.id)
    .where('jira_updated', '=', row.jira_updated)
    .where('project_id', '=', row.project_id);
  q =
    row.removed_reason === null
      ? q.where('removed_reason', 'is', null)
      : q.where('removed_reason', '=', row.removed_reason);
  const res = await q.executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

function sameContent(row: IssueRow, next: Partial<IssueRow>): boolean {
  for (const [k, v] of Object.entries(next)) {
    if (k === 'updated_at') continue;
    if (row[k as keyof IssueRow] !== v) return false;
  }
  return true;
}

/** Columns for the synced fields; unsynced fields are stored empty so nothing stale lingers. */
function columnsFor(
  mapping: Pick<Mapping, 'syncedFields'>,
  values: Partial<IssueValues>,
  row?: IssueRow,
): IssueValues {
  const empty: IssueValues = {
    summary: null,
    description: null,
    status: null,
    status_category: null,
    priority: null,
    labels: '[]',
    components: '[]',
    fix_version_ids: '[]',
    assignee_id: null,
    assignee_name: null,
    parent_jira_id: null,
    parent_key: null,
  };
  const out: IssueValues = { ...empty };
  for (const field of mapping.syncedFields) {
    for (const col of FIELD_COLUMNS[field]) {
      const v = values[col];
      // A payload without the field (a trimmed webhook body) keeps what we have.
      const value = v !== undefined ? v : row ? row[col] : empty[col];
      (out as Record<keyof IssueValues, string | null>)[col] = value;
    }
  }
  return out;
}

const MAX_RACE_RETRIES = 5;

/** Applies one Jira issue (search result, GET /issue, or a webhook's `issue`) to the mapping's project. */
export async function applyIssue(
  db: DbLike,
  mapping: Mapping,
  issueJson: unknown,
): Promise<ApplyIssueOutcome> {
  const issue = parseIssue(issueJson);
  if (!issue) return 'incomplete';
  return applyParsedIssue(db, mapping, issue);
}

export type ApplyOptions = {
  /**
   * Jira's search just listed this issue in scope: a removed row comes back even for an
   * equal `updated` (it was removed by a scan or filter, not by a newer state).
   */
  revive?: boolean;
};

export async function applyParsedIssue(
  db: DbLike,
  mapping: Mapping,
  issue: ParsedIssue,
  options: ApplyOptions = {},
): Promise<ApplyIssueOutcome> {
  for (let attempt = 0; attempt < MAX_RACE_RETRIES; attempt++) {
    const outcome = await applyOnce(db, mapping, issue, options.revive === true);
    if (outcome !== 'raced') {
      if (outcome === 'created' || outcome === 'updated' || outcome === 'moved-out') {
        // Children name their parent by key; keep that key current when the parent moves.
        await db
          .updateTable('tm_issues')
          .set({ parent_key: issue.key })
          .where('jira_instance_id', '=', mapping.jiraInstanceId)
          .where('parent_jira_id', '=', issue.id)
          .where('parent_key', '!=', issue.key)
          .execute();
      }
      return outcome;
    }
  }
  // Persistent contention means others keep writing newer states: ours is not the newest.
  return 'stale';
}

async function applyOnce(
  db: DbLike,
  mapping: Mapping,
  issue: ParsedIssue,
  revive: boolean,
): Promise<ApplyIssueOutcome | 'raced'> {
  const row = await findIssueRow(db, mapping.jiraInstanceId, issue.id);
  const ours = row !== undefined && row.project_id === mapping.projectId;
  const inProject = issue.projectId === mapping.jiraProjectId;
  const kind = kindOf(mapping, issue.issueType);

  if (row && !canOverwrite(row, issue.updated, revive)) return 'stale';

  if (!inProject || !kind) {
    // Only our own live row is marked; a row that lives in another mapping's project is theirs.
    if (!row || !ours) return 'ignored';
    const reason: TmRemovedReason = inProject ? 'retyped' : 'moved';
    if (row.removed_reason === reason && row.jira_updated === issue.updated && row.jira_key === issue.key)
      return 'unchanged';
    const ok = await guardedUpdate(db, row, {
      removed_reason: reason,
      removed_at: row.removed_reason === null ? nowIso() : row.removed_at,
      jira_key: issue.key,
      jira_project_id: issue.projectId,
      issue_type: issue.issueType,
      issue_type_id: issue.issueTypeId,
      jira_updated: issue.updated,
    });
    if (!ok) return 'raced';
    return inProject ? 'removed' : 'moved-out';
  }

  const values = columnsFor(mapping, issue.values, ours ? row : undefined);
  const next = {
    project_id: mapping.projectId,
    kind,
    jira_key: issue.key,
    jira_project_id: issue.projectId,
    issue_type: issue.issueType,
    issue_type_id: issue.issueTypeId,
    ...values,
    jira_updated: issue.updated,
    removed_reason: null,
    removed_at: null,
  };
  if (!row) {
    const now = nowIso();
    const res = await db
      .insertInto('tm_issues')
      .values({
        id: randomUUID(),
        jira_instance_id: mapping.jiraInstanceId,
        jira_issue_id: issue.id,
        ...next,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.columns(['jira_instance_id', 'jira_issue_id']).doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0 ? 'created' : 'raced';
  }
  if (sameContent(row, next)) return 'unchanged';
  return (await guardedUpdate(db, row, next)) ? 'updated' : 'raced';
}

export type ApplyDeleteOutcome = 'deleted' | 'unchanged' | 'ignored';

/** `jira:issue_deleted`, or an id scan that no longer finds the issue. Deletions in Jira are final. */
export async function applyIssueDeleted(
  db: DbLike,
  mapping: Mapping,
  jiraIssueId: string,
  reason: Extract<TmRemovedReason, 'deleted' | 'out-of-scope'> = 'deleted',
): Promise<ApplyDeleteOutcome> {
  const row = await findIssueRow(db, mapping.jiraInstanceId, jiraIssueId);
  if (!row) return 'ignored';
  // A scan only speaks for its own project; a deletion is true wherever the row lives.
  if (reason === 'out-of-scope' && row.project_id !== mapping.projectId) return 'ignored';
  if (row.removed_reason === 'deleted' || row.removed_reason === reason) return 'unchanged';
  await db
    .updateTable('tm_issues')
    .set({ removed_reason: reason, removed_at: row.removed_at ?? nowIso(), updated_at: nowIso() })
    .where('id', '=', row.id)
    .execute();
  return 'deleted';
}

// --- versions -------------------------------------------------------------------------

export type ApplyVersionOutcome = 'created' | 'updated' | 'unchanged' | 'ignored';

export type ParsedVersion = {
  id: string;
  projectId: string | undefined;
  name: string;
  description: string | null;
  released: boolean;
  archived: boolean;
  releaseDate: string | null;
  startDate: string | null;
};

export function parseVersion(json: unknown): ParsedVersion | undefined {
  if (!isObj(json)) return undefined;
  const id = str(json.id);
  const name = str(json.name);
  if (!id || name === undefined) return undefined;
  return {
    id,
    projectId: str(json.projectId),
    name,
    description: str(json.description) ?? null,
    released: json.released === true,
    archived: json.archived === true,
    releaseDate: str(json.releaseDate) ?? null,
    startDate: str(json.startDate) ?? null,
  };
}

/** Whether the mapping turns this version into a release. */
function wanted(mapping: Pick<Mapping, 'versionMode'>, v: ParsedVersion): boolean {
  if (mapping.versionMode === 'none') return false;
  if (mapping.versionMode === 'unarchived') return !v.archived;
  return true;
}

/**
 * One version from a webhook (created, updated, released, unreleased, moved). Versions have
 * no `updated` stamp, so a reordered delivery can leave an older state here: callers follow
 * version events with `applyProjectVersions` from Jira's list (one call) when they can, and
 * reconciliation does so on every run.
 */
export async function applyVersion(
  db: DbLike,
  mapping: Mapping,
  versionJson: unknown,
  sequence?: number,
): Promise<ApplyVersionOutcome> {
  const v = parseVersion(versionJson);
  if (!v) return 'ignored';
  if (v.projectId !== undefined && v.projectId !== mapping.jiraProjectId) return 'ignored';
  const existing = await db
    .selectFrom('tm_releases')
    .selectAll()
    .where('project_id', '=', mapping.projectId)
    .where('jira_version_id', '=', v.id)
    .executeTakeFirst();
  const now = nowIso();
  if (!wanted(mapping, v)) {
    if (!existing || existing.deleted_at !== null) return existing ? 'unchanged' : 'ignored';
    await db
      .updateTable('tm_releases')
      .set({ deleted_at: now, updated_at: now })
      .where('id', '=', existing.id)
      .execute();
    return 'updated';
  }
  const next = {
    name: v.name,
    description: v.description,
    released: v.released ? 1 : 0,
    archived: v.archived ? 1 : 0,
    release_date: v.releaseDate,
    start_date: v.startDate,
    deleted_at: null,
    merged_to_release_id: null,
  };
  if (!existing) {
    const last = await db
      .selectFrom('tm_releases')
      .select((eb) => eb.fn.max('sequence').as('max'))
      .where('project_id', '=', mapping.projectId)
      .executeTakeFirst();
    const seq = sequence ?? (last?.max === null || last?.max === undefined ? 0 : Number(last.max) + 1);
    await db
      .insertInto('tm_releases')
      .values({
        id: randomUUID(),
        project_id: mapping.projectId,
        jira_version_id: v.id,
        ...next,
        sequence: seq,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.columns(['project_id', 'jira_version_id']).doUpdateSet({ ...next, updated_at: now }),
      )
      .execute();
    return 'created';
  }
  const full = sequence === undefined ? next : { ...next, sequence };
  const same = Object.entries(full).every(([k, val]) => existing[k as keyof typeof existing] === val);
  if (same) return 'unchanged';
  await db
    .updateTable('tm_releases')
    .set({ ...full, updated_at: now })
    .where('id', '=', existing.id)
    .execute();
  return 'updated';
}

export type ApplyVersionDeletedResult = {
  outcome: 'deleted' | 'unchanged' | 'ignored';
  /**
   * Jira issue ids whose fix versions pointed at the deleted version. Jira moves them (to the
   * merge target or to a version named at deletion) without touching their `updated`, so
   * neither webhooks nor `updated >=` searches see it: refetch these to be exact.
   */
  affectedIssueIds: string[];
};

/** `jira:version_deleted`, also for merges (`mergedTo` = the version it was merged into). */
export async function applyVersionDeleted(
  db: DbLike,
  mapping: Mapping,
  jiraVersionId: string,
  mergedTo?: string,
): Promise<ApplyVersionDeletedResult> {
  const release = await db
    .selectFrom('tm_releases')
    .selectAll()
    .where('project_id', '=', mapping.projectId)
    .where('jira_version_id', '=', jiraVersionId)
    .executeTakeFirst();
  const target = mergedTo
    ? await db
        .selectFrom('tm_releases')
        .select('id')
        .where('project_id', '=', mapping.projectId)
        .where('jira_version_id', '=', mergedTo)
        .executeTakeFirst()
    : undefined;
  const now = nowIso();
  let outcome: ApplyVersionDeletedResult['outcome'] = 'ignored';
  if (release) {
    if (
      release.deleted_at !== null &&
      (release.merged_to_release_id ?? null) === (target?.id ?? release.merged_to_release_id)
    )
      outcome = 'unchanged';
    else {
      await db
        .updateTable('tm_releases')
        .set({
          deleted_at: release.deleted_at ?? now,
          merged_to_release_id: target?.id ?? release.merged_to_release_id,
          updated_at: now,
        })
        .where('id', '=', release.id)
        .execute();
      outcome = 'deleted';
    }
  }
  // The JSON text holds quoted ids, so a LIKE on the quoted id finds exactly the holders.
  const holders = await db
    .selectFrom('tm_issues')
    .select(['id', 'jira_issue_id', 'fix_version_ids'])
    .where('project_id', '=', mapping.projectId)
    .where('fix_version_ids', 'like', `%"${jiraVersionId.replace(/[%_"\\]/g, '')}"%`)
    .execute();
  for (const h of holders) {
    const ids = (JSON.parse(h.fix_version_ids) as string[]).filter((x) => x !== jiraVersionId);
    if (mergedTo && !ids.includes(mergedTo)) ids.push(mergedTo);
    await db
      .updateTable('tm_issues')
      .set({ fix_version_ids: JSON.stringify(ids), updated_at: now })
      .where('id', '=', h.id)
      .execute();
  }
  return { outcome, affectedIssueIds: holders.map((h) => h.jira_issue_id) };
}

export type ApplyProjectVersionsResult = {
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
  affectedIssueIds: string[];
};

/**
 * Jira's full, ordered version list for the project (GET /project/{id}/versions): the truth
 * for names, states and order. Versions missing from it were deleted.
 */
export async function applyProjectVersions(
  db: DbLike,
  mapping: Mapping,
  versions: unknown[],
): Promise<ApplyProjectVersionsResult> {
  const result: ApplyProjectVersionsResult = {
    created: 0,
    updated: 0,
    deleted: 0,
    unchanged: 0,
    affectedIssueIds: [],
  };
  const seen = new Set<string>();
  let seq = 0;
  for (const json of versions) {
    const v = parseVersion(json);
    if (!v) continue;
    seen.add(v.id);
    const outcome = await applyVersion(
      db,
      mapping,
      { ...v, projectId: v.projectId ?? mapping.jiraProjectId },
      seq++,
    );
    if (outcome === 'created') result.created++;
    else if (outcome === 'updated') result.updated++;
    else if (outcome === 'unchanged') result.unchanged++;
  }
  const live = await db
    .selectFrom('tm_releases')
    .select('jira_version_id')
    .where('project_id', '=', mapping.projectId)
    .where('deleted_at', 'is', null)
    .execute();
  for (const r of live) {
    if (seen.has(r.jira_version_id)) continue;
    const d = await applyVersionDeleted(db, mapping, r.jira_version_id);
    if (d.outcome === 'deleted') result.deleted++;
    result.affectedIssueIds.push(...d.affectedIssueIds);
  }
  return result;
}

// --- project --------------------------------------------------------------------------

export type ApplyProjectOutcome = 'updated' | 'unchanged' | 'suspended' | 'ignored';

/** `project_updated`: follow a renamed key or name, and tell the admin when the key changed. */
export async function applyProjectUpdated(
  db: DbLike,
  mapping: Mapping,
  projectJson: unknown,
): Promise<ApplyProjectOutcome> {
  if (!isObj(projectJson) || str(projectJson.id) !== mapping.jiraProjectId) return 'ignored';
  const key = str(projectJson.key) ?? mapping.jiraProjectKey;
  const name = str(projectJson.name) ?? mapping.jiraProjectName;
  if (key === mapping.jiraProjectKey && name === mapping.jiraProjectName) return 'unchanged';
  const alert =
    key !== mapping.jiraProjectKey
      ? `The Jira project key changed from ${mapping.jiraProjectKey} to ${key}. The sync follows it (it names the project by id); update any saved JQL that uses the old key.`
      : mapping.alert;
  await db
    .updateTable('sync_mappings')
    .set({ jira_project_key: key, jira_project_name: name, alert, updated_at: nowIso() })
    .where('id', '=', mapping.id)
    .execute();
  return 'updated';
}

/** `project_deleted`: the mapping stops syncing and says why; its data stays for the record. */
export async function applyProjectDeleted(
  db: DbLike,
  mapping: Mapping,
  projectJson?: unknown,
): Promise<ApplyProjectOutcome> {
  if (projectJson !== undefined && (!isObj(projectJson) || str(projectJson.id) !== mapping.jiraProjectId))
    return 'ignored';
  if (mapping.state === 'suspended') return 'unchanged';
  await db
    .updateTable('sync_mappings')
    .set({
      state: 'suspended',
      alert: `The Jira project ${mapping.jiraProjectKey} was deleted in Jira. Syncing is suspended; the requirements and releases already synced are kept. Remove this mapping, or map the Testbridge project to another Jira project.`,
      updated_at: nowIso(),
    })
    .where('id', '=', mapping.id)
    .execute();
  return 'suspended';
}

// --- batches (the import) ---------------------------------------------------------------

/**
 * Applies a page of search results with as few statements as possible: one SELECT for the
 * rows that exist, one multi-row INSERT for the new ones; existing rows (and any race) go
 * through the one-by-one path. Same outcomes as `applyParsedIssue` for each issue. Over a
 * network database this is what makes the import keep up with Jira's paging.
 */
export async function applyIssueBatch(
  db: DbLike,
  mapping: Mapping,
  issues: unknown[],
  options: ApplyOptions = {},
): Promise<ApplyIssueOutcome[]> {
  const parsed = issues.map(parseIssue);
  const outcomes: (ApplyIssueOutcome | undefined)[] = parsed.map((p) => (p ? undefined : 'incomplete'));
  const ids = parsed.flatMap((p) => (p ? [p.id] : []));
  if (ids.length === 0) return outcomes.map((o) => o ?? 'incomplete');
  const existing = new Set(
    (
      await db
        .selectFrom('tm_issues')
        .select('jira_issue_id')
        .where('jira_instance_id', '=', mapping.jiraInstanceId)
        .where('jira_issue_id', 'in', ids)
        .execute()
    ).map((r) => r.jira_issue_id),
  );
  const seen = new Set<string>();
  const fresh: { index: number; issue: ParsedIssue; kind: TmIssueKind }[] = [];
  const oneByOne: number[] = [];
  parsed.forEach((p, index) => {
    if (!p) return;
    const kind = kindOf(mapping, p.issueType);
    if (existing.has(p.id) || seen.has(p.id)) oneByOne.push(index);
    else if (p.projectId !== mapping.jiraProjectId || !kind) outcomes[index] = 'ignored';
    else fresh.push({ index, issue: p, kind });
    seen.add(p.id);
  });
  if (fresh.length) {
    const now = nowIso();
    const res = await db
      .insertInto('tm_issues')
      .values(
        fresh.map(({ issue, kind }) => ({
          id: randomUUID(),
          jira_instance_id: mapping.jiraInstanceId,
          jira_issue_id: issue.id,
          project_id: mapping.projectId,
          kind,
          jira_key: issue.key,
          jira_project_id: issue.projectId,
          issue_type: issue.issueType,
          issue_type_id: issue.issueTypeId,
          ...columnsFor(mapping, issue.values),
          jira_updated: issue.updated,
          removed_reason: null,
          removed_at: null,
          created_at: now,
          updated_at: now,
        })),
      )
      .onConflict((oc) => oc.columns(['jira_instance_id', 'jira_issue_id']).doNothing())
      .executeTakeFirst();
    if (Number(res.numInsertedOrUpdatedRows ?? 0n) === fresh.length) {
      for (const f of fresh) outcomes[f.index] = 'created';
    } else {
      // Someone else (a webhook) wrote some of these meanwhile: settle each one properly.
      for (const f of fresh) oneByOne.push(f.index);
    }
  }
  for (const index of oneByOne) {
    const p = parsed[index];
    if (p) outcomes[index] = await applyParsedIssue(db, mapping, p, options);
  }
  return outcomes.map((o) => o ?? 'incomplete');
}
