/**
 * Project mappings: a Testbridge project mapped to a Jira project on an instance, with the
 * issue types that are requirements and defects, an optional extra JQL filter, how versions
 * become releases, which fields are synced, and how the webhook is managed. Creating one
 * checks everything against Jira first, so a bad type name or JQL is a clear 400 now rather
 * than a failing import later.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { isJiraApiError, type JiraProject } from '../jira/index.js';
import { type InboxHealth, inboxHealth } from '../sync/inbox.js';
import { type ImportProgress, progressOf } from '../sync/import.js';
import type { ReconcileResult } from '../sync/reconcile.js';
import { requireProject } from '../tm/projects.js';
import { getInstance } from './instances.js';
import {
  type ApiCallCounts,
  apiCallCounts,
  callCounter,
  type ClientFactory,
  type SyncDeps,
} from './mappings-calls.js';
import {
  DEFAULT_DEFECT_TYPES,
  DEFAULT_REQUIREMENT_TYPES,
  freshMappingState,
  type MappingRow,
  mappingFromRow,
  mappingJql,
  requireMappingRow,
  SYNCABLE_FIELDS,
} from './mappings-model.js';
import { jiraClientFor } from './connection-client.js';
import {
  type EnsureResult,
  ensureWebhook,
  type ManualWebhookInstructions,
  manualWebhookInstructions,
  removeWebhook,
} from './webhooks.js';

const typeList = z.array(z.string().trim().min(1).max(100)).max(50);

export const mappingInputSchema = z
  .object({
    /** Testbridge project id or key. */
    projectId: z.string().trim().min(1).max(100),
    jiraInstanceId: z.string().trim().min(1).max(100),
    /** Jira project key or id. */
    jiraProject: z.string().trim().min(1).max(100),
    requirementTypes: typeList.min(1, { error: 'needs at least one issue type' }).optional(),
    defectTypes: typeList.optional(),
    extraJql: z.string().trim().max(2000).optional(),
    versionMode: z
      .enum(['all', 'unarchived', 'none'], { error: 'must be all, unarchived or none' })
      .optional(),
    syncedFields: z
      .array(z.enum(SYNCABLE_FIELDS, { error: `must be among ${SYNCABLE_FIELDS.join(', ')}` }))
      .optional(),
    webhookMode: z.enum(['automatic', 'manual'], { error: 'must be automatic or manual' }).optional(),
  })
  .strict();
export type MappingInput = z.infer<typeof mappingInputSchema>;

export const MAPPING_EXAMPLE =
  '{"projectId": "SHOP", "jiraInstanceId": "<id>", "jiraProject": "SHOP", "requirementTypes": ["Epic", "Story"], "defectTypes": ["Bug"], "webhookMode": "automatic"}';

export type MappingHealth = {
  webhook: {
    mode: 'automatic' | 'manual';
    state: string;
    jiraWebhookId: string | null;
    /** Cloud dynamic webhooks expire after 30 days unless refreshed. */
    expiresAt: string | null;
    verifiedAt: string | null;
    checkedAt: string | null;
    error: string | null;
  };
  lastDeliveryAt: string | null;
  inbox: InboxHealth;
  import: ImportProgress;
  reconcile: {
    lastAt: string | null;
    lastIdScanAt: string | null;
    watermark: string | null;
    last: ReconcileResult | null;
    /** Differences the last reconcile had to repair (lost or late deliveries). */
    drift: number | null;
  };
  jiraApiCalls: ApiCallCounts;
};

export type MappingView = {
  id: string;
  projectId: string;
  projectKey: string;
  jiraInstanceId: string;
  jiraProject: { id: string; key: string; name: string };
  requirementTypes: string[];
  defectTypes: string[];
  extraJql: string | null;
  versionMode: string;
  syncedFields: string[];
  state: string;
  alert: string | null;
  /** What to enter in Jira when the webhook is managed by hand (shown for both modes). */
  webhookSetup: ManualWebhookInstructions & { secretConfigured: boolean };
  health: MappingHealth;
  createdAt: string;
};

function parseJson<T>(text: string | null): T | null {
  if (!text) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

export async function mappingView(deps: SyncDeps, row: MappingRow): Promise<MappingView> {
  const db = deps.store.db;
  const m = mappingFromRow(row);
  const project = await db
    .selectFrom('tm_projects')
    .select('key')
    .where('id', '=', row.project_id)
    .executeTakeFirst();
  const last = parseJson<ReconcileResult>(row.last_reconcile);
  return {
    id: row.id,
    projectId: row.project_id,
    projectKey: project?.key ?? '',
    jiraInstanceId: row.jira_instance_id,
    jiraProject: { id: row.jira_project_id, key: row.jira_project_key, name: row.jira_project_name },
    requirementTypes: m.requirementTypes,
    defectTypes: m.defectTypes,
    extraJql: row.extra_jql,
    versionMode: row.version_mode,
    syncedFields: m.syncedFields,
    state: row.state,
    alert: row.alert,
    webhookSetup: {
      ...manualWebhookInstructions(m, deps),
      secretConfigured: row.webhook_secret_sealed !== null,
    },
    health: {
      webhook: {
        mode: row.webhook_mode,
        state: row.webhook_state,
        jiraWebhookId: row.jira_webhook_id,
        expiresAt: row.webhook_expires_at,
        verifiedAt: row.webhook_verified_at,
        checkedAt: row.webhook_checked_at,
        error: row.webhook_error,
      },
      lastDeliveryAt: row.last_delivery_at,
      inbox: await inboxHealth(db, row.id),
      import: progressOf(row),
      reconcile: {
        lastAt: row.last_reconcile_at,
        lastIdScanAt: row.last_id_scan_at,
        watermark: row.watermark,
        last,
        drift: last ? last.drift : null,
      },
      jiraApiCalls: await apiCallCounts(db, row.id),
    },
    createdAt: row.created_at,
  };
}

export async function getMappingView(deps: SyncDeps, id: string): Promise<MappingView> {
  return mappingView(deps, await requireMappingRow(deps.store.db, id));
}

export async function listMappings(deps: SyncDeps, jiraInstanceId: string): Promise<MappingView[]> {
  await getInstance(deps.store.db, jiraInstanceId);
  const rows = await deps.store.db
    .selectFrom('sync_mappings')
    .selectAll()
    .where('jira_instance_id', '=', jiraInstanceId)
    .orderBy('jira_project_key')
    .execute();
  const out: MappingView[] = [];
  for (const r of rows) out.push(await mappingView(deps, r));
  return out;
}

function unknownTypes(wanted: string[], project: JiraProject): string[] {
  if (!project.issueTypes?.length) return [];
  const names = new Set(project.issueTypes.map((t) => t.name.toLowerCase()));
  return wanted.filter((t) => !names.has(t.toLowerCase()));
}

/**
 * Creates a mapping after checking it against Jira (project, issue types, extra JQL), then
 * registers the webhook in automatic mode. The import is started by the scheduler.
 */
export async function createMapping(deps: SyncDeps, input: MappingInput): Promise<MappingView> {
  const db = deps.store.db;
  const project = await requireProject(db, input.projectId);
  const instance = await getInstance(db, input.jiraInstanceId);
  const already = await db
    .selectFrom('sync_mappings')
    .select('id')
    .where('project_id', '=', project.id)
    .executeTakeFirst();
  if (already) {
    throw new AppError(
      'project_already_mapped',
      `Project ${project.key} is already mapped to a Jira project.`,
      {
        status: 409,
        hint: `Remove mapping ${already.id} first, or map another Testbridge project.`,
      },
    );
  }
  const id = randomUUID();
  const counter = callCounter(db, id);
  const factory: ClientFactory = deps.clientFor ?? ((instanceId, o) => jiraClientFor(deps, instanceId, o));
  const client = await factory(instance.id, { onCall: counter.onCall, reason: 'setup' });
  const requirementTypes = input.requirementTypes ?? DEFAULT_REQUIREMENT_TYPES;
  const defectTypes = input.defectTypes ?? DEFAULT_DEFECT_TYPES;
  let jiraProject: JiraProject;
  try {
    try {
      jiraProject = await client.getProject(input.jiraProject, { reason: 'setup' });
    } catch (err) {
      if (isJiraApiError(err, 'jira_not_found'))
        throw new AppError(
          'jira_project_not_found',
          `Jira has no project ${input.jiraProject} visible to the connected account.`,
          {
            status: 400,
            hint: 'Pick a project from GET /api/jira/instances/:id/projects, or give the account Browse Projects permission.',
          },
        );
      throw err;
    }
    const unknown = unknownTypes([...requirementTypes, ...defectTypes], jiraProject);
    if (unknown.length) {
      const available = (jiraProject.issueTypes ?? []).map((t) => t.name).join(', ');
      throw new AppError(
        'issue_type_unknown',
        `Jira project ${jiraProject.key} has no issue type ${unknown.map((u) => `"${u}"`).join(', ')}.`,
        {
          status: 400,
          hint: `Use issue types of the project: ${available}.`,
        },
      );
    }
    const overlap = requirementTypes.filter((t) =>
      defectTypes.some((d) => d.toLowerCase() === t.toLowerCase()),
    );
    if (overlap.length) {
      throw new AppError(
        'issue_type_ambiguous',
        `The issue type ${overlap[0]} cannot be both a requirement and a defect type.`,
        {
          status: 400,
          hint: 'Put each issue type in one list only.',
        },
      );
    }
    const taken = await db
      .selectFrom('sync_mappings')
      .select('id')
      .where('jira_instance_id', '=', instance.id)
      .where('jira_project_id', '=', jiraProject.id)
      .executeTakeFirst();
    if (taken) {
      throw new AppError(
        'jira_project_already_mapped',
        `Jira project ${jiraProject.key} is already mapped (mapping ${taken.id}).`,
        {
          status: 409,
          hint: 'A Jira project syncs into one Testbridge project; remove the other mapping first.',
        },
      );
    }
    if (input.extraJql) {
      try {
        for await (const _page of client.searchPages(
          mappingJql({ jiraProjectId: jiraProject.id, extraJql: input.extraJql }),
          {
            fields: ['id', 'key'],
            pageSize: 1,
            reason: 'setup',
          },
        ))
          break;
      } catch (err) {
        if (isJiraApiError(err, 'jira_bad_request'))
          throw new AppError(
            'jql_invalid',
            `Jira refused the extra JQL filter: ${err.jiraMessages.join(' ') || err.message}`,
            {
              status: 400,
              hint: 'Test the filter in Jira’s issue search first; it is combined with "project = <id> AND (...)".',
            },
          );
        throw err;
      }
    }
  } finally {
    await client.close().catch(() => {});
  }

  const now = new Date().toISOString();
  const mode = input.webhookMode ?? 'automatic';
  await db
    .insertInto('sync_mappings')
    .values({
      id,
      project_id: project.id,
      jira_instance_id: instance.id,
      jira_project_id: jiraProject.id,
      jira_project_key: jiraProject.key,
      jira_project_name: jiraProject.name,
      requirement_types: JSON.stringify(requirementTypes),
      defect_types: JSON.stringify(defectTypes),
      extra_jql: input.extraJql || null,
      version_mode: input.versionMode ?? 'all',
      synced_fields: JSON.stringify(input.syncedFields ?? SYNCABLE_FIELDS),
      state: 'active',
      alert: null,
      webhook_mode: mode,
      // 256 bits: the URL is the credential when Jira cannot sign deliveries.
      webhook_token: randomBytes(32).toString('base64url'),
      webhook_state: mode === 'automatic' ? 'pending' : 'unverified',
      ...freshMappingState(now),
    })
    .execute();
  await counter.flush();
  deps.logger.info({ mappingId: id, jiraProject: jiraProject.key, webhookMode: mode }, 'mapping created');
  if (mode === 'automatic') await tryEnsureWebhook(deps, id);
  return getMappingView(deps, id);
}

/** Registers (or repairs) the webhook; a failure is recorded on the mapping, never fatal: reconciliation covers. */
export async function tryEnsureWebhook(deps: SyncDeps, mappingId: string): Promise<EnsureResult | undefined> {
  try {
    return await ensureWebhook(deps, mappingId);
  } catch (err) {
    const message =
      err instanceof AppError ? err.message : 'Registering the webhook in Jira failed; see the server log.';
    deps.logger.warn({ mappingId, err }, 'webhook registration failed');
    await deps.store.db
      .updateTable('sync_mappings')
      .set({ webhook_state: 'failing', webhook_error: message, updated_at: new Date().toISOString() })
      .where('id', '=', mappingId)
      .execute();
    return undefined;
  }
}

/**
 * Removes the mapping: its webhook in Jira first (automatic mode), then the mapping. Synced
 * requirements and defects stay in the project, marked unmapped, with their test-case links.
 */
export async function deleteMapping(
  deps: SyncDeps,
  id: string,
): Promise<{ webhookRemoved: boolean; warning?: string }> {
  const db = deps.store.db;
  const row = await requireMappingRow(db, id);
  let webhookRemoved = false;
  let warning: string | undefined;
  if (row.webhook_mode === 'automatic') {
    try {
      await removeWebhook(deps, id);
      webhookRemoved = true;
    } catch (err) {
      warning = `The webhook could not be removed from Jira (${err instanceof AppError ? err.message : 'unexpected error'}). Delete it in Jira's webhook settings; its deliveries are refused meanwhile.`;
      deps.logger.warn({ mappingId: id, err }, 'webhook removal failed');
    }
  }
  const now = new Date().toISOString();
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('tm_issues')
      .set({ removed_reason: 'unmapped', removed_at: now, updated_at: now })
      .where('project_id', '=', row.project_id)
      .where('jira_instance_id', '=', row.jira_instance_id)
      .where('removed_reason', 'is', null)
      .execute();
    await trx.deleteFrom('sync_mappings').where('id', '=', id).execute();
  });
  deps.logger.info({ mappingId: id }, 'mapping removed');
  return { webhookRemoved, ...(warning ? { warning } : {}) };
}

/** Jira projects the instance's account can see, with their issue types, to choose from. */
export async function jiraProjectsOf(
  deps: SyncDeps,
  jiraInstanceId: string,
): Promise<
  { id: string; key: string; name: string; issueTypes: { id: string; name: string; subtask: boolean }[] }[]
> {
  const instance = await getInstance(deps.store.db, jiraInstanceId);
  const factory: ClientFactory = deps.clientFor ?? ((instanceId, o) => jiraClientFor(deps, instanceId, o));
  const client = await factory(instance.id, { reason: 'setup' });
  try {
    const projects = await client.listProjects({ reason: 'setup' });
    const out = [];
    // The list rarely carries issue types; one GET per project does, for the first 100.
    for (const p of projects.slice(0, 100)) {
      const full = p.issueTypes ? p : await client.getProject(p.id, { reason: 'setup' }).catch(() => p);
      out.push({
        id: p.id,
        key: p.key,
        name: p.name,
        issueTypes: (full.issueTypes ?? []).map((t) => ({
          id: t.id,
          name: t.name,
          subtask: t.subtask === true,
        })),
      });
    }
    return out;
  } finally {
    await client.close().catch(() => {});
  }
}
