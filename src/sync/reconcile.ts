/**
 * Reconciliation: webhooks are hints, this makes the local copy converge to Jira whatever was
 * lost (deliveries dropped while we were down, expired Cloud webhooks, reordered events).
 * - versions: Jira's ordered list, one call;
 * - changes: JQL `updated >= watermark - overlap` in Jira's time and the account's time zone;
 * - id scan (less often): every id Jira has in scope against every live local row, which finds
 *   deletions, moves out, retypes, issues that left the filter and issues we never saw.
 */
import type { JiraClient } from '../jira/index.js';
import { isJiraApiError } from '../jira/index.js';
import {
  type CallCounter,
  countedClient,
  type SyncDeps,
  syncSettings,
} from '../integration/mappings-calls.js';
import {
  type Mapping,
  mappingFromRow,
  mappingJql,
  requireMappingRow,
} from '../integration/mappings-model.js';
import {
  type ApplyIssueOutcome,
  applyIssue,
  applyIssueDeleted,
  applyProjectDeleted,
  applyProjectUpdated,
  applyProjectVersions,
  parseIssue,
  applyParsedIssue,
  searchFieldsFor,
} from './apply.js';
import { jiraNow, PAGE_SIZE, scopeJql } from './import.js';

export type ReconcileResult = {
  startedAt: string;
  finishedAt: string;
  /** Issues Jira reported as changed since the watermark. */
  checked: number;
  outcomes: Partial<Record<ApplyIssueOutcome, number>>;
  versions: { created: number; updated: number; deleted: number };
  idScan?: {
    jiraCount: number;
    localCount: number;
    /** In Jira, missing here: fetched and applied. */
    missingLocally: number;
    /** Here, no longer in scope in Jira: deleted, moved, retyped or filtered out. */
    goneInJira: number;
  };
  /**
   * Differences this run found and repaired: what webhooks should have told us. Zero when
   * deliveries arrive; anything else means lost or late deliveries (or a Jira without webhooks).
   */
  drift: number;
  watermark: string | null;
  error?: string;
};

const CHANGED: ApplyIssueOutcome[] = ['created', 'updated', 'moved-out', 'removed'];
const ID_CHUNK = 100;
/** Issues checked one by one per run when the scan finds them gone (each is one GET). */
const MAX_GONE_CHECKS = 200;

/** Formats an instant as JQL's `yyyy/MM/dd HH:mm` in the time zone Jira reads JQL dates in (the account's). */
export function jqlDate(iso: string, timeZone: string | undefined): string {
  const d = new Date(iso);
  let parts: Record<string, string>;
  try {
    parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-CA', {
        timeZone: timeZone || 'UTC',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      })
        .formatToParts(d)
        .map((p) => [p.type, p.value]),
    );
  } catch {
    return jqlDate(iso, 'UTC');
  }
  return `${parts.year}/${parts.month}/${parts.day} ${parts.hour}:${parts.minute}`;
}

const timeZones = new Map<string, { zone: string | undefined; at: number }>();

/** The account's time zone, asked once an hour per instance. */
async function accountTimeZone(client: JiraClient, instanceId: string): Promise<string | undefined> {
  const cached = timeZones.get(instanceId);
  if (cached && Date.now() - cached.at < 3_600_000) return cached.zone;
  const me = await client.myself({ reason: 'reconcile' });
  timeZones.set(instanceId, { zone: me.timeZone, at: Date.now() });
  return me.timeZone;
}

export type ReconcileOptions = { idScan?: boolean | 'auto'; signal?: AbortSignal };

export async function reconcileMapping(
  deps: SyncDeps,
  mappingId: string,
  options: ReconcileOptions = {},
): Promise<ReconcileResult> {
  const db = deps.store.db;
  const settings = syncSettings(deps);
  const row = await requireMappingRow(db, mappingId);
  const mapping = mappingFromRow(row);
  const startedAt = new Date().toISOString();
  const result: ReconcileResult = {
    startedAt,
    finishedAt: startedAt,
    checked: 0,
    outcomes: {},
    versions: { created: 0, updated: 0, deleted: 0 },
    drift: 0,
    watermark: row.watermark,
  };
  const { client, counter } = await countedClient(deps, mapping, 'reconcile');
  const signal = options.signal ? { signal: options.signal } : {};
  const count = (o: ApplyIssueOutcome) => {
    result.outcomes[o] = (result.outcomes[o] ?? 0) + 1;
    if (CHANGED.includes(o)) result.drift++;
  };
  try {
    // Jira's clock before we look: anything changed after this is caught next time.
    const mark = await jiraNow(client, 'reconcile');

    const project = await client
      .getProject(mapping.jiraProjectId, { reason: 'reconcile', ...signal })
      .catch((err: unknown) => {
        if (isJiraApiError(err, 'jira_not_found')) return undefined;
        throw err;
      });
    if (!project) {
      await applyProjectDeleted(db, mapping);
      result.error = `The Jira project ${mapping.jiraProjectKey} no longer exists (or the account lost access to it); the mapping is suspended.`;
      return await finish();
    }
    // A renamed key or name (project_updated may have been lost too).
    await applyProjectUpdated(db, mapping, project);

    const versions = await client.projectVersions(mapping.jiraProjectId, { reason: 'reconcile', ...signal });
    const v = await applyProjectVersions(db, mapping, versions);
    result.versions = { created: v.created, updated: v.updated, deleted: v.deleted };
    result.drift += v.created + v.updated + v.deleted;
    if (v.affectedIssueIds.length)
      await refetchIssues(deps, client, mapping, v.affectedIssueIds, 'reconcile', count);

    if (row.watermark) {
      const zone = await accountTimeZone(client, mapping.jiraInstanceId);
      const since = new Date(Date.parse(row.watermark) - settings.overlapMs).toISOString();
      const jql = `${mappingJql(mapping)} AND updated >= "${jqlDate(since, zone)}" ORDER BY updated ASC`;
      const pageSize = (await client.deployment()).cloud ? PAGE_SIZE.cloud : PAGE_SIZE.server;
      for await (const page of client.searchPages(jql, {
        fields: searchFieldsFor(mapping),
        pageSize,
        reason: 'reconcile',
        ...signal,
      })) {
        for (const issue of page.issues) {
          result.checked++;
          count(await applyIssue(db, mapping, issue));
        }
        await counter.flush();
      }
    }

    let scanDue =
      options.idScan === true ||
      (options.idScan !== false &&
        (!row.last_id_scan_at || Date.now() - Date.parse(row.last_id_scan_at) >= settings.idScanIntervalMs));
    if (!scanDue && options.idScan !== false) {
      // A project whose ids fit in one search page costs one call to scan: do it every run,
      // so deletions and moves out (which no `updated >=` search can see) show up at once.
      const live = await db
        .selectFrom('tm_issues')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('project_id', '=', mapping.projectId)
        .where('removed_reason', 'is', null)
        .executeTakeFirst();
      const onePage = (await client.deployment()).cloud ? PAGE_SIZE.cloudIdsOnly : PAGE_SIZE.server;
      scanDue = Number(live?.n ?? 0) < onePage;
    }
    if (scanDue) result.idScan = await idScan(deps, client, counter, mapping, count, options.signal);

    result.watermark = mark;
    return await finish(mark, scanDue);
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    await finish().catch(() => {});
    throw err;
  } finally {
    await counter.flush().catch(() => {});
    await client.close().catch(() => {});
  }

  async function finish(mark?: string, scanned?: boolean): Promise<ReconcileResult> {
    result.finishedAt = new Date().toISOString();
    await db
      .updateTable('sync_mappings')
      .set({
        ...(mark ? { watermark: mark } : {}),
        ...(scanned ? { last_id_scan_at: startedAt } : {}),
        last_reconcile_at: result.finishedAt,
        last_reconcile: JSON.stringify(result),
        updated_at: result.finishedAt,
      })
      .where('id', '=', mappingId)
      .execute();
    return result;
  }
}

/** Fetches issues by id (chunks of 100 through search) and applies them as Jira's truth. */
export async function refetchIssues(
  deps: SyncDeps,
  client: JiraClient,
  mapping: Mapping,
  ids: string[],
  reason: string,
  onOutcome: (o: ApplyIssueOutcome) => void = () => {},
  options: { revive?: boolean } = {},
): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < ids.length; i += ID_CHUNK) {
    const chunk = ids.slice(i, i + ID_CHUNK).filter((id) => /^\d+$/.test(id));
    if (chunk.length === 0) continue;
    try {
      for await (const page of client.searchPages(`id in (${chunk.join(',')})`, {
        fields: searchFieldsFor(mapping),
        pageSize: ID_CHUNK,
        reason,
      })) {
        for (const json of page.issues) {
          const parsed = parseIssue(json);
          if (!parsed) continue;
          found.add(parsed.id);
          onOutcome(await applyParsedIssue(deps.store.db, mapping, parsed, options));
        }
      }
    } catch (err) {
      // An id deleted in the meantime makes Jira refuse the whole `id in` query: ask one by one.
      if (!isJiraApiError(err, 'jira_bad_request')) throw err;
      for (const id of chunk) {
        try {
          const json = await client.getIssue(id, { fields: searchFieldsFor(mapping), reason });
          const parsed = parseIssue(json);
          if (!parsed) continue;
          found.add(parsed.id);
          onOutcome(await applyParsedIssue(deps.store.db, mapping, parsed, options));
        } catch (e) {
          if (!isJiraApiError(e, 'jira_not_found')) throw e;
        }
      }
    }
  }
  return found;
}

async function idScan(
  deps: SyncDeps,
  client: JiraClient,
  counter: CallCounter,
  mapping: Mapping,
  count: (o: ApplyIssueOutcome) => void,
  signal: AbortSignal | undefined,
): Promise<NonNullable<ReconcileResult['idScan']>> {
  const db = deps.store.db;
  const scanStart = new Date().toISOString();
  const cloud = (await client.deployment()).cloud;
  // Ids (and keys, which the client's schema needs) only: Cloud serves 5000 of those a page; the set of ids is small even for big projects.
  const inJira = new Set<string>();
  for await (const page of client.searchPages(scopeJql(mapping), {
    fields: ['id', 'key'],
    pageSize: cloud ? PAGE_SIZE.cloudIdsOnly : PAGE_SIZE.server,
    reason: 'reconcile',
    ...(signal ? { signal } : {}),
  })) {
    for (const i of page.issues) inJira.add(i.id);
  }
  await counter.flush();
  const local = await db
    .selectFrom('tm_issues')
    .select(['jira_issue_id', 'updated_at', 'removed_reason'])
    .where('project_id', '=', mapping.projectId)
    .where('jira_instance_id', '=', mapping.jiraInstanceId)
    .execute();
  const live = new Set(local.filter((r) => r.removed_reason === null).map((r) => r.jira_issue_id));
  const missing = [...inJira].filter((id) => !live.has(id));
  // Rows written after the scan started may be newer than the scan: leave them to the next one.
  const gone = local
    .filter((r) => r.removed_reason === null && !inJira.has(r.jira_issue_id) && r.updated_at < scanStart)
    .map((r) => r.jira_issue_id);

  if (missing.length) {
    // Jira says these are in scope now: that overrides an earlier removal of the same state.
    await refetchIssues(deps, client, mapping, missing, 'reconcile', count, { revive: true });
  }
  for (const id of gone.slice(0, MAX_GONE_CHECKS)) {
    try {
      const json = await client.getIssue(id, { fields: searchFieldsFor(mapping), reason: 'reconcile' });
      const outcome = await applyIssue(db, mapping, json);
      count(outcome);
      if (outcome === 'unchanged' || outcome === 'updated' || outcome === 'created' || outcome === 'stale') {
        // Still in the project with a synced type, so the extra JQL filter no longer matches it.
        if ((await applyIssueDeleted(db, mapping, id, 'out-of-scope')) === 'deleted') count('removed');
      }
    } catch (err) {
      if (!isJiraApiError(err, 'jira_not_found')) throw err;
      if ((await applyIssueDeleted(db, mapping, id, 'deleted')) === 'deleted') count('removed');
    }
  }
  await counter.flush();
  return {
    jiraCount: inJira.size,
    localCount: live.size,
    missingLocally: missing.length,
    goneInJira: gone.length,
  };
}
