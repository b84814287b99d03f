/**
 * The webhook inbox: raw deliveries committed before Jira gets its 2xx, then claimed,
 * applied and marked by the worker (worker.ts). Rows are never parsed on the receiving
 * path; the worker fills event, issue id and `updated` when it classifies them.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { notFound } from '../errors.js';
import type { Database, DeliveryState, SyncDeliveriesTable } from '../store/schema.js';
import type { Dialect } from '../store/store.js';

export type DeliveryRow = Selectable<SyncDeliveriesTable>;

export type IncomingDelivery = {
  mappingId: string;
  /** X-Atlassian-Webhook-Identifier when Jira sent one. */
  identifier: string | undefined;
  body: string;
  headers: Record<string, string>;
  receivedAt: string;
};

export type InsertOutcome = 'stored' | 'duplicate';

/** Server/DC sends no identifier: the body (which carries Jira's timestamp) names the delivery then. */
export function deliveryKey(identifier: string | undefined, body: string): string {
  const id = identifier?.trim();
  if (id && id.length <= 200) return `id:${id}`;
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

/**
 * Commits deliveries in groups: while one INSERT is running, newcomers queue up and go in
 * the next one, so a burst costs a few commits instead of one per request, and every
 * caller still learns only after its own row is durable.
 */
export class InboxWriter {
  private queue: {
    d: IncomingDelivery;
    key: string;
    resolve: (o: InsertOutcome) => void;
    reject: (e: unknown) => void;
  }[] = [];
  private writing: Promise<void> | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly maxBatch = 200,
  ) {}

  insert(d: IncomingDelivery): Promise<InsertOutcome> {
    const key = deliveryKey(d.identifier, d.body);
    return new Promise((resolve, reject) => {
      this.queue.push({ d, key, resolve, reject });
      this.writing ??= this.drain();
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const outcomes = await this.write(batch);
          for (const [i, b] of batch.entries()) b.resolve(outcomes[i] ?? 'stored');
        } catch (err) {
          // One bad row (its mapping removed a moment ago) must not fail its neighbours.
          if (batch.length === 1) for (const b of batch) b.reject(err);
          else
            for (const b of batch)
              await this.write([b]).then(
                ([o]) => b.resolve(o ?? 'stored'),
                (e: unknown) => b.reject(e),
              );
        }
      }
    } finally {
      this.writing = undefined;
    }
  }

  private async write(batch: { d: IncomingDelivery; key: string }[]): Promise<InsertOutcome[]> {
    // The same delivery twice in one batch (Jira's duplicate right behind the original).
    const first = new Map<string, number>();
    const rows: SyncDeliveriesTable[] = [];
    const outcomes: InsertOutcome[] = batch.map(({ d, key }, i) => {
      const k = `${d.mappingId}\u0000${key}`;
      if (first.has(k)) return 'duplicate';
      first.set(k, i);
      rows.push({
        id: randomUUID(),
        mapping_id: d.mappingId,
        delivery_key: key,
        received_at: d.receivedAt,
        body: d.body,
        headers: JSON.stringify(d.headers),
        jira_issue_id: null,
        event: null,
        jira_updated: null,
        state: 'received',
        attempts: 0,
        next_attempt_at: d.receivedAt,
        claimed_until: null,
        last_error: null,
        reason: null,
        processed_at: null,
      });
      return 'stored';
    });
    const inserted = await this.db
      .insertInto('sync_deliveries')
      .values(rows)
      .onConflict((oc) => oc.columns(['mapping_id', 'delivery_key']).doNothing())
      .returning(['mapping_id', 'delivery_key'])
      .execute();
    const stored = new Set(inserted.map((r) => `${r.mapping_id}\u0000${r.delivery_key}`));
    return batch.map(({ d, key }, i) => {
      if (outcomes[i] === 'duplicate') return 'duplicate';
      return stored.has(`${d.mappingId}\u0000${key}`) ? 'stored' : 'duplicate';
    });
  }

  /** Resolves when everything queued so far is committed (tests, shutdown). */
  async flushed(): Promise<void> {
    while (this.writing) await this.writing;
  }
}

/**
 * Claims due deliveries for this worker for `leaseMs`. On PostgreSQL, `FOR UPDATE SKIP
 * LOCKED` lets several instances claim disjoint rows at once; SQLite has one writer, so the
 * UPDATE alone is atomic there. A crashed worker's lease runs out and its rows come back.
 */
export async function claimDeliveries(
  db: Kysely<Database>,
  dialect: Dialect,
  options: { now: string; leaseUntil: string; limit: number },
): Promise<DeliveryRow[]> {
  const { now, leaseUntil, limit } = options;
  return db
    .updateTable('sync_deliveries')
    .set({ claimed_until: leaseUntil })
    .where('id', 'in', (eb) => {
      let q = eb
        .selectFrom('sync_deliveries')
        .select('id')
        .where('state', 'in', ['received', 'failed'])
        .where('next_attempt_at', '<=', now)
        .where((w) => w.or([w('claimed_until', 'is', null), w('claimed_until', '<', now)]))
        .orderBy('received_at')
        .orderBy('id')
        .limit(limit);
      if (dialect === 'postgres') q = q.forUpdate().skipLocked();
      return q;
    })
    .returningAll()
    .execute()
    .then((rows) =>
      rows.sort((a, b) => a.received_at.localeCompare(b.received_at) || a.id.localeCompare(b.id)),
    );
}

export type DeliveryResult = {
  id: string;
  state: DeliveryState;
  attempts?: number;
  nextAttemptAt?: string;
  lastError?: string | null;
  reason?: string | null;
  event?: string | null;
  jiraIssueId?: string | null;
  jiraUpdated?: string | null;
};

export async function markDelivery(db: Kysely<Database>, r: DeliveryResult, now: string): Promise<void> {
  await db
    .updateTable('sync_deliveries')
    .set({
      state: r.state,
      claimed_until: null,
      processed_at: r.state === 'failed' ? null : now,
      ...(r.attempts !== undefined ? { attempts: r.attempts } : {}),
      ...(r.nextAttemptAt !== undefined ? { next_attempt_at: r.nextAttemptAt } : {}),
      ...(r.lastError !== undefined ? { last_error: r.lastError } : {}),
      ...(r.reason !== undefined ? { reason: r.reason } : {}),
      ...(r.event !== undefined ? { event: r.event } : {}),
      ...(r.jiraIssueId !== undefined ? { jira_issue_id: r.jiraIssueId } : {}),
      ...(r.jiraUpdated !== undefined ? { jira_updated: r.jiraUpdated } : {}),
    })
    .where('id', '=', r.id)
    .execute();
}

/** A delivery as the API shows it (the raw body only on request: it can be large). */
export type DeliveryView = {
  id: string;
  receivedAt: string;
  event: string | null;
  jiraIssueId: string | null;
  jiraUpdated: string | null;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  reason: string | null;
  processedAt: string | null;
  deliveryKey: string;
};

export function deliveryView(r: DeliveryRow): DeliveryView {
  return {
    id: r.id,
    receivedAt: r.received_at,
    event: r.event,
    jiraIssueId: r.jira_issue_id,
    jiraUpdated: r.jira_updated,
    state: r.state,
    attempts: Number(r.attempts),
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    reason: r.reason,
    processedAt: r.processed_at,
    deliveryKey: r.delivery_key,
  };
}

export const DELIVERY_STATES: readonly DeliveryState[] = [
  'received',
  'applied',
  'ignored',
  'failed',
  'parked',
];

export async function listDeliveries(
  db: Kysely<Database>,
  mappingId: string,
  options: { state?: DeliveryState; limit?: number; before?: string } = {},
): Promise<DeliveryView[]> {
  let q = db.selectFrom('sync_deliveries').selectAll().where('mapping_id', '=', mappingId);
  if (options.state) q = q.where('state', '=', options.state);
  if (options.before) q = q.where('received_at', '<', options.before);
  const rows = await q
    .orderBy('received_at', 'desc')
    .orderBy('id', 'desc')
    .limit(Math.min(Math.max(options.limit ?? 50, 1), 500))
    .execute();
  return rows.map(deliveryView);
}

/** Puts a parked (or failed) delivery back in line, with a fresh retry budget. */
export async function retryDelivery(
  db: Kysely<Database>,
  mappingId: string,
  deliveryId: string,
  now: string,
): Promise<DeliveryView> {
  const row = await db
    .selectFrom('sync_deliveries')
    .selectAll()
    .where('mapping_id', '=', mappingId)
    .where('id', '=', deliveryId)
    .executeTakeFirst();
  if (!row)
    throw notFound(
      `Delivery ${deliveryId.slice(0, 100)} of this mapping`,
      'List the inbox with GET /api/mappings/:id/inbox?state=parked to find its id.',
    );
  const updated = await db
    .updateTable('sync_deliveries')
    .set({
      state: 'received',
      attempts: 0,
      next_attempt_at: now,
      claimed_until: null,
      last_error: row.last_error,
    })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return deliveryView(updated);
}

export type InboxHealth = {
  /** Waiting to be applied (received or failed and retrying). */
  depth: number;
  failed: number;
  parked: number;
  lastDeliveryAt: string | null;
};

export async function inboxHealth(db: Kysely<Database>, mappingId: string): Promise<InboxHealth> {
  const rows = await db
    .selectFrom('sync_deliveries')
    .select([
      'state',
      (eb) => eb.fn.countAll<number | string>().as('n'),
      (eb) => eb.fn.max('received_at').as('last'),
    ])
    .where('mapping_id', '=', mappingId)
    .groupBy('state')
    .execute();
  const count = (s: DeliveryState) => Number(rows.find((r) => r.state === s)?.n ?? 0);
  const last = rows.reduce<string | null>((m, r) => (r.last && (!m || r.last > m) ? r.last : m), null);
  return {
    depth: count('received') + count('failed'),
    failed: count('failed'),
    parked: count('parked'),
    lastDeliveryAt: last,
  };
}
