/**
 * The Jira webhook of each mapping, kept alive: created with the seed's events (plus issue
 * created) and a JQL filter for the mapped project, found again by its URL (which carries
 * the mapping's unguessable token) so it is never created twice, checked on start-up and on
 * a schedule against what it should be, repaired or recreated when Jira lost or changed it,
 * and removed with the mapping. Cloud instances connected with OAuth 2.0 can only register
 * dynamic webhooks, which expire after 30 days: those are refreshed well before.
 */
import { randomBytes } from 'node:crypto';
import { AppError } from '../errors.js';
import type { AdminWebhook, AdminWebhookInput, JiraClient } from '../jira/index.js';
import { isJiraApiError, TESTBRIDGE_WEBHOOK_EVENTS } from '../jira/index.js';
import { nowOf } from './deps.js';
import { countedClient, type SyncDeps, syncSettings } from './mappings-calls.js';
import {
  type Mapping,
  mappingFromRow,
  mappingJql,
  type MappingRow,
  requireMappingRow,
} from './mappings-model.js';
import { webhookSecretContext } from './webhooks-secret.js';

export { webhookSecretContext } from './webhooks-secret.js';

/** The seed's events, plus issue created (a new requirement should not wait for reconciliation). */
export const MAPPING_WEBHOOK_EVENTS: readonly string[] = [...TESTBRIDGE_WEBHOOK_EVENTS, 'jira:issue_created'];

/** Dynamic webhooks (Cloud, OAuth 2.0) accept issue events only; versions and projects come from reconciliation. */
export const DYNAMIC_WEBHOOK_EVENTS: readonly string[] = [
  'jira:issue_created',
  'jira:issue_updated',
  'jira:issue_deleted',
];

/** Refresh a dynamic webhook when less than this is left of its 30 days. */
export const DYNAMIC_REFRESH_BEFORE_MS = 10 * 24 * 3_600_000;

export type WebhookState =
  /** Automatic: exists in Jira and matches. */
  | 'active'
  /** Automatic: could not be created, checked or repaired; see webhook_error. */
  | 'failing'
  /** Manual: waiting for the first authentic delivery. */
  | 'unverified'
  /** Manual: a delivery arrived, so the administrator's webhook works. */
  | 'verified'
  | 'removed';

export type WebhookRegistration = 'admin' | 'dynamic';

export type EnsureResult = {
  mappingId: string;
  state: WebhookState;
  registration?: WebhookRegistration;
  jiraWebhookId?: string | null;
  /** What was done: created, updated (repaired), refreshed, unchanged, recreated. */
  action?: 'created' | 'repaired' | 'refreshed' | 'unchanged' | 'manual';
  expiresAt?: string | null;
  error?: string;
};

export const webhookUrl = (deps: Pick<SyncDeps, 'config'>, mapping: Pick<Mapping, 'webhookToken'>): string =>
  `${deps.config.publicUrl.replace(/\/+$/, '')}/webhooks/jira/${mapping.webhookToken}`;

/** The filter Jira applies to issue events: the mapped project (by id, so a renamed key keeps matching). */
export const webhookJql = (mapping: Pick<Mapping, 'jiraProjectId' | 'extraJql'>): string =>
  mappingJql(mapping);

export type ManualWebhookInstructions = {
  name: string;
  url: string;
  events: readonly string[];
  jql: string;
  steps: string[];
};

/** What an administrator enters in Jira (Administration → System → WebHooks) in manual mode. */
export function manualWebhookInstructions(
  mapping: Pick<Mapping, 'webhookToken' | 'jiraProjectKey' | 'jiraProjectId' | 'extraJql'>,
  deps: Pick<SyncDeps, 'config'>,
): ManualWebhookInstructions {
  const url = webhookUrl(deps, mapping);
  const jql = webhookJql(mapping);
  return {
    name: `Testbridge ${mapping.jiraProjectKey}`,
    url,
    events: MAPPING_WEBHOOK_EVENTS,
    jql,
    steps: [
      'In Jira, open Administration → System → WebHooks and click "Create a WebHook".',
      `Name: Testbridge ${mapping.jiraProjectKey}. Status: Enabled.`,
      `URL: ${url} (keep it private: the token in it is the webhook's credential).`,
      `Events: ${MAPPING_WEBHOOK_EVENTS.join(', ')}.`,
      `JQL filter for issue events: ${jql}.`,
      'Leave "Exclude body" unchecked, save, then change an issue of the project: the mapping shows the webhook as verified when the first delivery arrives.',
    ],
  };
}

function webhookName(mapping: Mapping): string {
  return `Testbridge ${mapping.jiraProjectKey} (${mapping.id.slice(0, 8)})`;
}

/** Cloud admin webhooks and Data Center 10 sign deliveries with a secret; older Server/DC cannot. */
async function supportsSecret(client: JiraClient): Promise<boolean> {
  const d = await client.deployment();
  return d.cloud || d.major >= 10;
}

async function registrationOf(deps: SyncDeps, mapping: Mapping): Promise<WebhookRegistration> {
  const instance = await deps.store.db
    .selectFrom('jira_instances')
    .select('auth_mode')
    .where('id', '=', mapping.jiraInstanceId)
    .executeTakeFirst();
  return instance?.auth_mode === 'oauth2-cloud' ? 'dynamic' : 'admin';
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join('\u0000') === [...b].sort().join('\u0000');

const normJql = (jql: string | undefined) => (jql ?? '').replace(/\s+/g, ' ').trim();

function matches(hook: AdminWebhook, want: AdminWebhookInput): boolean {
  return (
    hook.url === want.url &&
    hook.enabled &&
    !hook.excludeBody &&
    sameSet(hook.events, want.events) &&
    normJql(hook.jql) === normJql(want.jql)
  );
}

const isNotFound = (err: unknown) => isJiraApiError(err) && err.jiraStatus === 404;

function describe(err: unknown): string {
  if (isJiraApiError(err)) {
    const rights =
      err.jiraStatus === 401 || err.jiraStatus === 403
        ? ' The Jira account needs the Administer Jira global permission to manage webhooks; grant it, or switch the mapping to manual webhooks.'
        : '';
    return `${err.message}${rights}`.slice(0, 1000);
  }
  if (err instanceof AppError) return err.message.slice(0, 1000);
  return 'Unexpected failure while managing the Jira webhook; see the server log.';
}

async function saveState(
  deps: SyncDeps,
  mappingId: string,
  values: Partial<{
    jira_webhook_id: string | null;
    webhook_state: WebhookState;
    webhook_error: string | null;
    webhook_expires_at: string | null;
    webhook_secret_sealed: string | null;
  }>,
): Promise<void> {
  const now = new Date(nowOf(deps)).toISOString();
  await deps.store.db
    .updateTable('sync_mappings')
    .set({ ...values, webhook_checked_at: now, updated_at: now })
    .where('id', '=', mappingId)
    .execute();
}

/** The mapping's secret, made (and sealed) on first need. */
async function secretFor(deps: SyncDeps, row: MappingRow): Promise<string> {
  if (row.webhook_secret_sealed)
    return deps.vault.open(row.webhook_secret_sealed, webhookSecretContext(row.id));
  const secret = randomBytes(32).toString('base64url');
  const sealed = await deps.vault.seal(secret, webhookSecretContext(row.id));
  await deps.store.db
    .updateTable('sync_mappings')
    .set({ webhook_secret_sealed: sealed })
    .where('id', '=', row.id)
    .execute();
  return secret;
}

async function ensureAdmin(deps: SyncDeps, row: MappingRow, client: JiraClient): Promise<EnsureResult> {
  const mapping = mappingFromRow(row);
  const url = webhookUrl(deps, mapping);
  const want: AdminWebhookInput = {
    name: webhookName(mapping),
    url,
    events: MAPPING_WEBHOOK_EVENTS,
    jql: webhookJql(mapping),
    enabled: true,
    excludeBody: false,
  };
  const withSecret = (await supportsSecret(client)) ? { ...want, secret: await secretFor(deps, row) } : want;
  // Ours is whatever carries our URL: the token makes it unique to this mapping.
  const ours = (await client.listAdminWebhooks()).filter((h) => h.url === url);
  const keep = ours.find((h) => h.id === row.jira_webhook_id) ?? ours[0];
  for (const extra of ours) {
    if (extra === keep) continue;
    await client.deleteAdminWebhook(extra.id).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }
  let action: EnsureResult['action'];
  let id: string;
  if (!keep) {
    id = (await client.createAdminWebhook(withSecret)).id;
    action = row.jira_webhook_id ? 'repaired' : 'created';
  } else if (!matches(keep, want) || ours.length > 1) {
    id = (await client.updateAdminWebhook(keep.id, withSecret)).id || keep.id;
    action = 'repaired';
  } else {
    id = keep.id;
    action = 'unchanged';
  }
  await saveState(deps, row.id, { jira_webhook_id: id, webhook_state: 'active', webhook_error: null });
  return { mappingId: row.id, state: 'active', registration: 'admin', jiraWebhookId: id, action };
}

async function ensureDynamic(deps: SyncDeps, row: MappingRow, client: JiraClient): Promise<EnsureResult> {
  const mapping = mappingFromRow(row);
  const url = webhookUrl(deps, mapping);
  const jql = webhookJql(mapping);
  const now = nowOf(deps);
  const expiryOf = (v: number | string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const ms = typeof v === 'number' ? v : Date.parse(v);
    return Number.isNaN(ms) ? undefined : ms;
  };
  const list = await client.listDynamicWebhooks();
  // Jira lists an app's dynamic webhooks without their URL: ours is the stored id, or one
  // with our filter and events (registered just before a crash could save its id).
  const same = (h: (typeof list)[number]) =>
    (h.url === undefined || h.url === url) &&
    normJql(h.jqlFilter) === normJql(jql) &&
    sameSet(h.events, DYNAMIC_WEBHOOK_EVENTS);
  let hook = list.find((h) => String(h.id) === row.jira_webhook_id && same(h)) ?? list.find(same);
  let action: EnsureResult['action'] = 'unchanged';
  const stale = list.find((h) => String(h.id) === row.jira_webhook_id && h !== hook);
  if (stale) await client.deleteDynamicWebhooks([stale.id]);
  if (!hook) {
    const [result] = await client.registerDynamicWebhooks(url, [
      { jqlFilter: jql, events: DYNAMIC_WEBHOOK_EVENTS },
    ]);
    if (!result?.createdWebhookId)
      throw new AppError(
        'webhook_refused',
        `Jira refused the dynamic webhook: ${(result?.errors ?? ['no reason given']).join('; ').slice(0, 500)}`,
        { hint: 'Check the mapping JQL filter and the OAuth 2.0 app scopes (manage:jira-webhook).' },
      );
    const relisted = await client.listDynamicWebhooks();
    hook = relisted.find((h) => h.id === result.createdWebhookId) ?? {
      id: result.createdWebhookId,
      jqlFilter: jql,
      events: [...DYNAMIC_WEBHOOK_EVENTS],
    };
    action = row.jira_webhook_id ? 'repaired' : 'created';
  }
  let expires = expiryOf(hook.expirationDate);
  if (expires === undefined || expires - now < DYNAMIC_REFRESH_BEFORE_MS) {
    expires = (await client.refreshDynamicWebhooks([hook.id])) ?? expires;
    if (action === 'unchanged') action = 'refreshed';
  }
  const expiresAt = expires === undefined ? null : new Date(expires).toISOString();
  await saveState(deps, row.id, {
    jira_webhook_id: String(hook.id),
    webhook_state: 'active',
    webhook_error: null,
    webhook_expires_at: expiresAt,
  });
  return {
    mappingId: row.id,
    state: 'active',
    registration: 'dynamic',
    jiraWebhookId: String(hook.id),
    action,
    expiresAt,
  };
}

/**
 * Creates the mapping's webhook in Jira, or repairs it (deleted, disabled, other URL, events
 * or filter), refreshing dynamic webhooks near their expiry. Jira refusing (rights, JQL) is
 * recorded on the mapping as `failing` with the reason, and returned, not thrown.
 */
export async function ensureWebhook(deps: SyncDeps, mappingId: string): Promise<EnsureResult> {
  const row = await requireMappingRow(deps.store.db, mappingId);
  if (row.webhook_mode === 'manual') {
    const state: WebhookState = row.webhook_verified_at ? 'verified' : 'unverified';
    if (row.webhook_state !== state) await saveState(deps, row.id, { webhook_state: state });
    return { mappingId, state, action: 'manual', jiraWebhookId: null };
  }
  const mapping = mappingFromRow(row);
  const { client, counter } = await countedClient(deps, mapping, 'webhook-check');
  try {
    const registration = await registrationOf(deps, mapping);
    return registration === 'dynamic'
      ? await ensureDynamic(deps, row, client)
      : await ensureAdmin(deps, row, client);
  } catch (err) {
    const error = describe(err);
    deps.logger.warn({ mappingId, err: error }, 'could not create or repair the Jira webhook');
    await saveState(deps, row.id, { webhook_state: 'failing', webhook_error: error });
    return { mappingId, state: 'failing', error };
  } finally {
    await counter.flush().catch(() => {});
  }
}

/** Start-up and scheduled check of every automatic webhook of active mappings. */
export async function checkWebhooks(deps: SyncDeps): Promise<EnsureResult[]> {
  const rows = await deps.store.db
    .selectFrom('sync_mappings')
    .select('id')
    .where('webhook_mode', '=', 'automatic')
    .where('state', '=', 'active')
    .orderBy('created_at')
    .execute();
  const results: EnsureResult[] = [];
  for (const { id } of rows) results.push(await ensureWebhook(deps, id));
  return results;
}

/** Deletes the mapping's webhook from Jira (ours by id and by URL); already gone is fine. */
export async function removeWebhook(deps: SyncDeps, mappingId: string): Promise<void> {
  const row = await requireMappingRow(deps.store.db, mappingId);
  if (row.webhook_mode === 'manual') return;
  const mapping = mappingFromRow(row);
  const { client, counter } = await countedClient(deps, mapping, 'webhook-check');
  try {
    if ((await registrationOf(deps, mapping)) === 'dynamic') {
      if (row.jira_webhook_id && /^\d+$/.test(row.jira_webhook_id))
        await client.deleteDynamicWebhooks([Number(row.jira_webhook_id)]).catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
    } else {
      const url = webhookUrl(deps, mapping);
      const ids = new Set((await client.listAdminWebhooks()).filter((h) => h.url === url).map((h) => h.id));
      if (row.jira_webhook_id) ids.add(row.jira_webhook_id);
      for (const id of ids)
        await client.deleteAdminWebhook(id).catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
    }
    await saveState(deps, row.id, { jira_webhook_id: null, webhook_state: 'removed', webhook_error: null });
  } finally {
    await counter.flush().catch(() => {});
  }
}

/** How often the scheduler should call checkWebhooks. */
export const webhookCheckIntervalMs = (deps: Pick<SyncDeps, 'sync'>): number =>
  syncSettings(deps).webhookCheckIntervalMs;
