/**
 * The inbox worker: claims committed deliveries, classifies them, coalesces bursts per Jira
 * issue id (the payload carries the whole issue, so only the newest state needs applying),
 * applies them through apply.ts (idempotent, stale-safe), and marks every row applied,
 * ignored (with the reason), failed (retried with backoff) or parked (kept with its error
 * until an administrator retries it). Jira is called only when a payload lacks what we need.
 */
import type { JiraClient } from '../jira/index.js';
import { isJiraApiError } from '../jira/index.js';
import { type CallCounter, countedClient, type SyncDeps } from '../integration/mappings-calls.js';
import { getMapping, type Mapping } from '../integration/mappings-model.js';
import {
  applyIssue,
  applyIssueDeleted,
  applyProjectDeleted,
  applyProjectUpdated,
  applyProjectVersions,
  applyVersion,
  applyVersionDeleted,
  normalizeJiraTime,
  searchFieldsFor,
} from './apply.js';
import { claimDeliveries, type DeliveryResult, type DeliveryRow, markDelivery } from './inbox.js';

export type WorkerOptions = {
  batchSize: number;
  /** A claimed batch belongs to this worker for so long; a crashed worker's rows then come back. */
  leaseMs: number;
  /** Attempts before a delivery is parked. */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** How often the background loop looks for work when idle. */
  pollMs: number;
};

export const DEFAULT_WORKER_OPTIONS: WorkerOptions = {
  batchSize: 200,
  leaseMs: 60_000,
  maxAttempts: 6,
  retryBaseMs: 2_000,
  retryMaxMs: 10 * 60_000,
  pollMs: 500,
};

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;

/** What a delivery means for the sync, decided from its body alone. */
export type Classified =
  | { kind: 'issue'; event: string; issueId: string; updated: string | undefined; issue: Json }
  | { kind: 'issue-deleted'; event: string; issueId: string }
  | { kind: 'version'; event: string; version: Json; versionId: string; mergedTo: string | undefined }
  | { kind: 'project-updated'; event: string; project: Json }
  | { kind: 'project-deleted'; event: string; project: Json | undefined }
  | { kind: 'ignore'; event: string | undefined; issueId?: string | undefined; reason: string };

const ISSUE_EVENTS = new Set(['jira:issue_created', 'jira:issue_updated']);

/**
 * Reads every variant Jira sends: Cloud and Server deliveries, Server payloads without
 * `issue_event_type_name`, comment events (with or without `issue`), and workflow
 * post-function payloads that have an `issue` but no `webhookEvent`.
 */
export function classifyDelivery(body: string): Classified {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { kind: 'ignore', event: undefined, reason: 'The body is not JSON.' };
  }
  if (!isObj(json)) return { kind: 'ignore', event: undefined, reason: 'The body is not a JSON object.' };
  const issue = isObj(json.issue) ? json.issue : undefined;
  const issueId = str(issue?.id);
  const declared = str(json.webhookEvent);
  // A post-function webhook posts the issue after a transition, with no event name.
  const event = declared ?? (issue ? 'jira:issue_updated' : undefined);
  if (!event)
    return { kind: 'ignore', event: undefined, reason: 'No webhookEvent and no issue: nothing to sync.' };

  if (ISSUE_EVENTS.has(event)) {
    if (!issue || !issueId) return { kind: 'ignore', event, reason: `${event} without an issue id.` };
    const fields = isObj(issue.fields) ? issue.fields : undefined;
    return { kind: 'issue', event, issueId, updated: normalizeJiraTime(fields?.updated), issue };
  }
  if (event === 'jira:issue_deleted') {
    if (!issueId) return { kind: 'ignore', event, reason: 'jira:issue_deleted without an issue id.' };
    return { kind: 'issue-deleted', event, issueId };
  }
  if (event.startsWith('jira:version_')) {
    const version = isObj(json.version) ? json.version : undefined;
    const versionId = str(version?.id);
    if (!version || !versionId) return { kind: 'ignore', event, reason: `${event} without a version id.` };
    const merged = isObj(json.mergedTo) ? json.mergedTo : undefined;
    return { kind: 'version', event, version, versionId, mergedTo: str(merged?.id) ?? str(json.mergedTo) };
  }
  if (event === 'project_updated' || event === 'project_created') {
    const project = isObj(json.project) ? json.project : undefined;
    if (!project) return { kind: 'ignore', event, reason: `${event} without a project.` };
    return { kind: 'project-updated', event, project };
  }
  if (event === 'project_deleted') {
    return { kind: 'project-deleted', event, project: isObj(json.project) ? json.project : undefined };
  }
  if (event.startsWith('comment_'))
    return {
      kind: 'ignore',
      event,
      issueId,
      reason: 'Comments are not synced; the issue change they cause arrives as jira:issue_updated.',
    };
  return { kind: 'ignore', event, issueId, reason: `The event ${event} is not synced.` };
}

export type BatchReport = {
  claimed: number;
  applied: number;
  ignored: number;
  failed: number;
  parked: number;
  refetched: number;
};

const errorText = (err: unknown): string => {
  const text = err instanceof Error ? err.message : String(err);
  return text.slice(0, 1000);
};

type Item = { row: DeliveryRow; c: Classified };

/** One mapping's share of a claimed batch, with its Jira client made only if needed. */
class MappingBatch {
  private client: Promise<{ client: JiraClient; counter: CallCounter }> | undefined;
  refetched = 0;
  constructor(
    private readonly deps: SyncDeps,
    readonly mapping: Mapping,
  ) {}

  jira(): Promise<JiraClient> {
    this.client ??= countedClient(this.deps, this.mapping, 'refetch');
    return this.client.then((x) => x.client);
  }

  async flush(): Promise<void> {
    if (this.client) await (await this.client).counter.flush();
  }

  /** GET the issue; undefined when Jira no longer has it (or no longer shows it to us). */
  async fetchIssue(issueId: string): Promise<unknown | undefined> {
    const client = await this.jira();
    this.refetched++;
    try {
      return await client.getIssue(issueId, { fields: searchFieldsFor(this.mapping), reason: 'refetch' });
    } catch (err) {
      if (isJiraApiError(err) && err.jiraStatus === 404) return undefined;
      throw err;
    }
  }
}

export class InboxWorker {
  readonly options: WorkerOptions;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = true;

  constructor(
    private readonly deps: SyncDeps,
    options: Partial<WorkerOptions> = {},
  ) {
    this.options = { ...DEFAULT_WORKER_OPTIONS, ...options };
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /** Claims and processes one batch; tests drive the worker with this. */
  async runOnce(): Promise<BatchReport> {
    const now = this.now();
    const rows = await claimDeliveries(this.deps.store.db, this.deps.store.dialect, {
      now: new Date(now).toISOString(),
      leaseUntil: new Date(now + this.options.leaseMs).toISOString(),
      limit: this.options.batchSize,
    });
    const report: BatchReport = {
      claimed: rows.length,
      applied: 0,
      ignored: 0,
      failed: 0,
      parked: 0,
      refetched: 0,
    };
    if (rows.length === 0) return report;
    const byMapping = new Map<string, DeliveryRow[]>();
    for (const row of rows) byMapping.set(row.mapping_id, [...(byMapping.get(row.mapping_id) ?? []), row]);
    for (const [mappingId, list] of byMapping) {
      const results = await this.processMapping(mappingId, list);
      const at = new Date(this.now()).toISOString();
      for (const r of results) {
        await markDelivery(this.deps.store.db, r, at);
        if (r.state === 'applied') report.applied++;
        else if (r.state === 'ignored') report.ignored++;
        else if (r.state === 'failed') report.failed++;
        else if (r.state === 'parked') report.parked++;
      }
    }
    report.refetched = this.refetched;
    this.refetched = 0;
    return report;
  }

  private refetched = 0;

  /** Processes batches until nothing is due (tests, and catching up after start-up). */
  async drain(maxBatches = 1000): Promise<BatchReport> {
    const total: BatchReport = { claimed: 0, applied: 0, ignored: 0, failed: 0, parked: 0, refetched: 0 };
    for (let i = 0; i < maxBatches; i++) {
      const r = await this.runOnce();
      for (const k of Object.keys(total) as (keyof BatchReport)[]) total[k] += r[k];
      if (r.claimed === 0) break;
    }
    return total;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    // SQLite has one process: claims left by a killed predecessor need not wait out their lease.
    if (this.deps.store.dialect === 'sqlite')
      this.running = this.deps.store.db
        .updateTable('sync_deliveries')
        .set({ claimed_until: null })
        .where('claimed_until', 'is not', null)
        .execute()
        .catch((err: unknown) => this.deps.logger.warn({ err }, 'could not release old inbox claims'));
    const loop = async () => {
      if (this.stopped) return;
      let claimed = 0;
      try {
        await this.running;
        this.running = this.runOnce();
        claimed = ((await this.running) as BatchReport).claimed;
      } catch (err) {
        this.deps.logger.warn({ err }, 'webhook inbox worker failed; trying again');
      } finally {
        this.running = undefined;
      }
      if (this.stopped) return;
      this.timer = setTimeout(loop, claimed > 0 ? 0 : this.options.pollMs);
      this.timer.unref?.();
    };
    this.timer = setTimeout(loop, 0);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => {});
  }

  private failure(row: DeliveryRow, err: unknown, extra: Partial<DeliveryResult> = {}): DeliveryResult {
    const attempts = Number(row.attempts) + 1;
    const lastError = errorText(err);
    if (attempts >= this.options.maxAttempts)
      return { id: row.id, state: 'parked', attempts, lastError, ...extra };
    const delay = Math.min(this.options.retryBaseMs * 2 ** (attempts - 1), this.options.retryMaxMs);
    return {
      id: row.id,
      state: 'failed',
      attempts,
      lastError,
      nextAttemptAt: new Date(this.now() + delay).toISOString(),
      ...extra,
    };
  }

  private async processMapping(mappingId: string, rows: DeliveryRow[]): Promise<DeliveryResult[]> {
    const db = this.deps.store.db;
    let mapping: Mapping;
    try {
      mapping = await getMapping(db, mappingId);
    } catch (err) {
      return rows.map((row) => this.failure(row, err));
    }
    await this.noteDeliveries(mapping, rows);
    const items: Item[] = rows.map((row) => ({ row, c: classifyDelivery(row.body) }));
    const meta = (c: Classified): Partial<DeliveryResult> => ({
      event: c.event ?? null,
      jiraIssueId: 'issueId' in c ? (c.issueId ?? null) : null,
      jiraUpdated: c.kind === 'issue' ? (c.updated ?? null) : null,
    });
    const results: DeliveryResult[] = [];
    const batch = new MappingBatch(this.deps, mapping);

    if (mapping.state === 'suspended') {
      for (const { row, c } of items)
        results.push({
          id: row.id,
          state: 'ignored',
          reason: 'The mapping is suspended (its Jira project was deleted).',
          ...meta(c),
        });
      return results;
    }

    // Issues: one group per Jira issue id, in arrival order.
    const groups = new Map<string, Item[]>();
    const versions: Item[] = [];
    const projects: Item[] = [];
    for (const item of items) {
      const c = item.c;
      if (c.kind === 'issue' || c.kind === 'issue-deleted')
        groups.set(c.issueId, [...(groups.get(c.issueId) ?? []), item]);
      else if (c.kind === 'version') versions.push(item);
      else if (c.kind === 'project-updated' || c.kind === 'project-deleted') projects.push(item);
      else results.push({ id: item.row.id, state: 'ignored', reason: c.reason, ...meta(c) });
    }

    for (const [issueId, group] of groups) {
      try {
        results.push(...(await this.applyIssueGroup(batch, issueId, group, meta)));
      } catch (err) {
        for (const { row, c } of group) results.push(this.failure(row, err, meta(c)));
      }
    }

    if (versions.length > 0) {
      try {
        results.push(...(await this.applyVersionEvents(batch, versions, meta)));
      } catch (err) {
        for (const { row, c } of versions) results.push(this.failure(row, err, meta(c)));
      }
    }

    for (const { row, c } of projects) {
      try {
        const outcome =
          c.kind === 'project-updated'
            ? await applyProjectUpdated(db, mapping, c.project)
            : await applyProjectDeleted(db, mapping, c.kind === 'project-deleted' ? c.project : undefined);
        results.push({
          id: row.id,
          state: outcome === 'ignored' ? 'ignored' : 'applied',
          reason: outcome === 'ignored' ? 'The event is about another Jira project.' : outcome,
          ...meta(c),
        });
      } catch (err) {
        results.push(this.failure(row, err, meta(c)));
      }
    }
    await batch
      .flush()
      .catch((err: unknown) => this.deps.logger.warn({ err }, 'could not record Jira API calls'));
    this.refetched += batch.refetched;
    return results;
  }

  /** last_delivery_at for health, and the first authentic delivery verifies a hand-made webhook. */
  private async noteDeliveries(mapping: Mapping, rows: DeliveryRow[]): Promise<void> {
    const times = rows.map((r) => r.received_at).sort();
    const first = times[0] ?? '';
    const last = times[times.length - 1] ?? '';
    const db = this.deps.store.db;
    await db
      .updateTable('sync_mappings')
      .set({ last_delivery_at: last })
      .where('id', '=', mapping.id)
      .where((w) => w.or([w('last_delivery_at', 'is', null), w('last_delivery_at', '<', last)]))
      .execute();
    await db
      .updateTable('sync_mappings')
      .set({ webhook_verified_at: first, webhook_state: 'verified', webhook_error: null })
      .where('id', '=', mapping.id)
      .where('webhook_mode', '=', 'manual')
      .where('webhook_verified_at', 'is', null)
      .execute();
  }

  private async applyIssueGroup(
    batch: MappingBatch,
    issueId: string,
    group: Item[],
    meta: (c: Classified) => Partial<DeliveryResult>,
  ): Promise<DeliveryResult[]> {
    const db = this.deps.store.db;
    const mapping = batch.mapping;
    const deletion = group.find((g) => g.c.kind === 'issue-deleted');
    if (deletion) {
      // Deletion is final in Jira: whatever updates came around it are moot.
      const outcome = await applyIssueDeleted(db, mapping, issueId);
      return group.map(({ row, c }) => ({
        id: row.id,
        state: 'applied',
        reason: row === deletion.row ? `deleted: ${outcome}` : 'superseded by the deletion of the issue',
        ...meta(c),
      }));
    }
    // The newest payload wins; the rest are older states of the same issue.
    let newest = group[0] as Item;
    for (const g of group) {
      const a = g.c.kind === 'issue' ? (g.c.updated ?? '') : '';
      const b = newest.c.kind === 'issue' ? (newest.c.updated ?? '') : '';
      if (a >= b) newest = g;
    }
    let outcome: string =
      newest.c.kind === 'issue' ? await applyIssue(db, mapping, newest.c.issue) : 'incomplete';
    if (outcome === 'incomplete') {
      const fetched = await batch.fetchIssue(issueId);
      outcome =
        fetched === undefined
          ? `not in Jira any more: ${await applyIssueDeleted(db, mapping, issueId)}`
          : `refetched: ${await applyIssue(db, mapping, fetched)}`;
    }
    return group.map(({ row, c }) => ({
      id: row.id,
      state: 'applied',
      reason: row === newest.row ? String(outcome) : `coalesced into the newer delivery ${newest.row.id}`,
      ...meta(c),
    }));
  }

  /**
   * Version payloads carry no `updated` stamp and no position, so a reordered delivery could
   * undo a newer change: apply them, then take Jira's ordered list once for the whole batch.
   */
  private async applyVersionEvents(
    batch: MappingBatch,
    items: Item[],
    meta: (c: Classified) => Partial<DeliveryResult>,
  ): Promise<DeliveryResult[]> {
    const db = this.deps.store.db;
    const mapping = batch.mapping;
    if (mapping.versionMode === 'none')
      return items.map(({ row, c }) => ({
        id: row.id,
        state: 'ignored',
        reason: 'This mapping does not sync Jira versions.',
        ...meta(c),
      }));
    const reasons = new Map<string, string>();
    const affected = new Set<string>();
    for (const { row, c } of items) {
      if (c.kind !== 'version') continue;
      if (c.event === 'jira:version_deleted') {
        const r = await applyVersionDeleted(db, mapping, c.versionId, c.mergedTo);
        for (const id of r.affectedIssueIds) affected.add(id);
        reasons.set(row.id, r.outcome);
      } else reasons.set(row.id, await applyVersion(db, mapping, c.version));
    }
    const client = await batch.jira();
    const list = await client.projectVersions(mapping.jiraProjectId, { reason: 'refetch' });
    const r = await applyProjectVersions(db, mapping, list);
    for (const id of r.affectedIssueIds) affected.add(id);
    // Jira moves fix versions off a deleted version without touching the issues' `updated`.
    for (const issueId of affected) {
      const fetched = await batch.fetchIssue(issueId);
      if (fetched === undefined) await applyIssueDeleted(db, mapping, issueId);
      else await applyIssue(db, mapping, fetched);
    }
    return items.map(({ row, c }) => ({
      id: row.id,
      state: 'applied',
      reason: reasons.get(row.id) ?? 'applied',
      ...meta(c),
    }));
  }
}
