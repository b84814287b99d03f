/**
 * Jira API calls spent per mapping and reason. Rate limits are the real cost of a sync, so
 * every call the sync makes (import, reconcile, refetch, webhook check) is counted here,
 * retries included, and shown in the mapping's health.
 */
import type { Kysely } from 'kysely';
import type { JiraCallEvent, JiraClient } from '../jira/index.js';
import type { Database } from '../store/schema.js';
import type { ConnectionDeps } from './deps.js';
import { type JiraClientForOptions, jiraClientFor } from './connection-client.js';

export type CallReason = 'import' | 'reconcile' | 'refetch' | 'webhook-check' | (string & {});

type Tally = { calls: number; failed: number; rateLimited: number };

export type CallCounter = {
  onCall(event: JiraCallEvent): void;
  /** Writes what was counted since the last flush; safe to call often. */
  flush(): Promise<void>;
  /** Totals counted by this counter (not flushed-only), per reason. */
  totals(): Record<string, Tally>;
};

export function callCounter(db: Kysely<Database>, mappingId: string): CallCounter {
  let pending = new Map<string, Tally>();
  const totals = new Map<string, Tally>();
  const bump = (map: Map<string, Tally>, reason: string, e: JiraCallEvent) => {
    const t = map.get(reason) ?? { calls: 0, failed: 0, rateLimited: 0 };
    t.calls++;
    if (e.status === 429) t.rateLimited++;
    if (e.status === undefined || e.status >= 400) t.failed++;
    map.set(reason, t);
  };
  return {
    onCall(event) {
      bump(pending, event.reason, event);
      bump(totals, event.reason, event);
    },
    async flush() {
      if (pending.size === 0) return;
      const batch = pending;
      pending = new Map();
      const now = new Date().toISOString();
      for (const [reason, t] of batch) {
        await db
          .insertInto('sync_api_calls')
          .values({
            mapping_id: mappingId,
            reason,
            calls: t.calls,
            failed: t.failed,
            rate_limited: t.rateLimited,
            updated_at: now,
          })
          .onConflict((oc) =>
            oc.columns(['mapping_id', 'reason']).doUpdateSet((eb) => ({
              calls: eb('sync_api_calls.calls', '+', eb.ref('excluded.calls')),
              failed: eb('sync_api_calls.failed', '+', eb.ref('excluded.failed')),
              rate_limited: eb('sync_api_calls.rate_limited', '+', eb.ref('excluded.rate_limited')),
              updated_at: now,
            })),
          )
          .execute();
      }
    },
    totals() {
      return Object.fromEntries([...totals].map(([k, v]) => [k, { ...v }]));
    },
  };
}

export type ApiCallCounts = {
  total: number;
  byReason: Record<string, { calls: number; failed: number; rateLimited: number }>;
};

export async function apiCallCounts(db: Kysely<Database>, mappingId: string): Promise<ApiCallCounts> {
  const rows = await db
    .selectFrom('sync_api_calls')
    .selectAll()
    .where('mapping_id', '=', mappingId)
    .execute();
  const byReason: ApiCallCounts['byReason'] = {};
  let total = 0;
  for (const r of rows) {
    byReason[r.reason] = {
      calls: Number(r.calls),
      failed: Number(r.failed),
      rateLimited: Number(r.rate_limited),
    };
    total += Number(r.calls);
  }
  return { total, byReason };
}

/** How the sync gets a Jira client; tests may swap it, the server uses the stored instance. */
export type ClientFactory = (instanceId: string, options: JiraClientForOptions) => Promise<JiraClient>;

/** Everything the mapping services and the sync need. */
export type SyncDeps = ConnectionDeps & {
  clientFor?: ClientFactory;
  sync?: Partial<SyncSettings>;
};

export type SyncSettings = {
  /** Reconciliation runs this often per mapping. */
  reconcileIntervalMs: number;
  /** The id scan (deletions, moves out, lost issues) runs at most this often per mapping. */
  idScanIntervalMs: number;
  /** Subtracted from the watermark: JQL has minute precision and Jira's index lags a little. */
  overlapMs: number;
  /** Webhook existence/match checks (the lifecycle in webhooks.ts reads it). */
  webhookCheckIntervalMs: number;
  /** Backoff of a failed import page before trying again (doubles, capped). */
  importRetryBaseMs: number;
  importMaxAttempts: number;
  /** Page size override (tests); by default the largest page the Jira flavour allows. */
  importPageSize?: number;
};

export const DEFAULT_SYNC_SETTINGS: SyncSettings = {
  reconcileIntervalMs: 5 * 60_000,
  idScanIntervalMs: 60 * 60_000,
  overlapMs: 2 * 60_000,
  webhookCheckIntervalMs: 15 * 60_000,
  importRetryBaseMs: 1_000,
  importMaxAttempts: 8,
};

export const syncSettings = (deps: Pick<SyncDeps, 'sync'>): SyncSettings => ({
  ...DEFAULT_SYNC_SETTINGS,
  ...deps.sync,
});

/** A Jira client for the mapping's instance whose every call is counted for the mapping. */
export async function countedClient(
  deps: SyncDeps,
  mapping: { id: string; jiraInstanceId: string },
  reason: CallReason,
): Promise<{ client: JiraClient; counter: CallCounter }> {
  const counter = callCounter(deps.store.db, mapping.id);
  const factory: ClientFactory = deps.clientFor ?? ((id, o) => jiraClientFor(deps, id, o));
  const client = await factory(mapping.jiraInstanceId, { onCall: counter.onCall, reason });
  return { client, counter };
}
