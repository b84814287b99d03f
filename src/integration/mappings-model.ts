import type { Kysely, Selectable } from 'kysely';
import { notFound } from '../errors.js';
import type { Database, SyncMappingsTable, WebhookMode } from '../store/schema.js';

/** Jira fields a mapping may keep in sync; the rest of an issue is never stored. */
export const SYNCABLE_FIELDS = [
  'summary',
  'description',
  'status',
  'priority',
  'labels',
  'components',
  'fixVersions',
  'assignee',
  'parent',
] as const;
export type SyncedField = (typeof SYNCABLE_FIELDS)[number];

export type VersionMode = 'all' | 'unarchived' | 'none';

export const DEFAULT_REQUIREMENT_TYPES = ['Epic', 'Story'];
export const DEFAULT_DEFECT_TYPES = ['Bug'];

/** A mapping as the sync code uses it (parsed JSON columns, camelCase). */
export type Mapping = {
  id: string;
  projectId: string;
  jiraInstanceId: string;
  jiraProjectId: string;
  jiraProjectKey: string;
  jiraProjectName: string;
  requirementTypes: string[];
  defectTypes: string[];
  extraJql: string | null;
  versionMode: VersionMode;
  syncedFields: SyncedField[];
  state: string;
  alert: string | null;
  webhookMode: WebhookMode;
  webhookToken: string;
  jiraWebhookId: string | null;
  webhookState: string;
  watermark: string | null;
};

export type MappingRow = Selectable<SyncMappingsTable>;

/** The columns every new mapping starts with: no webhook registered, nothing imported yet. */
export function freshMappingState(now: string) {
  return {
    webhook_secret_sealed: null,
    jira_webhook_id: null,
    webhook_error: null,
    webhook_expires_at: null,
    webhook_verified_at: null,
    webhook_checked_at: null,
    last_delivery_at: null,
    import_state: 'pending',
    import_cursor: null,
    import_done: 0,
    import_total: null,
    import_started_at: null,
    import_finished_at: null,
    import_error: null,
    import_counts: null,
    watermark: null,
    last_reconcile_at: null,
    last_reconcile: null,
    last_id_scan_at: null,
    created_at: now,
    updated_at: now,
  } as const;
}

function stringList(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

export function mappingFromRow(row: MappingRow): Mapping {
  return {
    id: row.id,
    projectId: row.project_id,
    jiraInstanceId: row.jira_instance_id,
    jiraProjectId: row.jira_project_id,
    jiraProjectKey: row.jira_project_key,
    jiraProjectName: row.jira_project_name,
    requirementTypes: stringList(row.requirement_types),
    defectTypes: stringList(row.defect_types),
    extraJql: row.extra_jql,
    versionMode: row.version_mode,
    syncedFields: stringList(row.synced_fields).filter((f): f is SyncedField =>
      (SYNCABLE_FIELDS as readonly string[]).includes(f),
    ),
    state: row.state,
    alert: row.alert,
    webhookMode: row.webhook_mode,
    webhookToken: row.webhook_token,
    jiraWebhookId: row.jira_webhook_id,
    webhookState: row.webhook_state,
    watermark: row.watermark,
  };
}

export async function findMappingRow(db: Kysely<Database>, id: string): Promise<MappingRow | undefined> {
  return db.selectFrom('sync_mappings').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function requireMappingRow(db: Kysely<Database>, id: string): Promise<MappingRow> {
  const row = await findMappingRow(db, id);
  if (!row)
    throw notFound(`Mapping ${id.slice(0, 100)}`, 'List the mappings of the Jira instance to find its id.');
  return row;
}

export async function getMapping(db: Kysely<Database>, id: string): Promise<Mapping> {
  return mappingFromRow(await requireMappingRow(db, id));
}

/** The receiver's lookup: the token in the webhook URL names the mapping. */
export async function findMappingByToken(db: Kysely<Database>, token: string): Promise<Mapping | undefined> {
  const row = await db
    .selectFrom('sync_mappings')
    .selectAll()
    .where('webhook_token', '=', token)
    .executeTakeFirst();
  return row ? mappingFromRow(row) : undefined;
}

/**
 * The JQL that selects a mapping's issues. The project is named by id, not key, so a
 * project whose key is renamed in Jira keeps matching.
 */
export function mappingJql(mapping: Pick<Mapping, 'jiraProjectId' | 'extraJql'>): string {
  const base = `project = ${mapping.jiraProjectId}`;
  return mapping.extraJql?.trim() ? `${base} AND (${mapping.extraJql.trim()})` : base;
}
