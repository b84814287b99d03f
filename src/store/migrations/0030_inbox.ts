import { type Kysely, sql } from 'kysely';

// The webhook inbox: every authentic delivery is committed here, raw, before Jira gets its
// 2xx, so nothing acknowledged can be lost; the worker parses and applies it later.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sync_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('mapping_id', 'text', (c) => c.notNull().references('sync_mappings.id').onDelete('cascade'))
    // X-Atlassian-Webhook-Identifier, or `sha256:<body hash>` when Jira sends none (Server).
    .addColumn('delivery_key', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('headers', 'text', (c) => c.notNull())
    .addColumn('jira_issue_id', 'text')
    .addColumn('event', 'text')
    .addColumn('jira_updated', 'text')
    .addColumn('state', 'text', (c) =>
      c.notNull().check(sql`state in ('received', 'applied', 'ignored', 'failed', 'parked')`),
    )
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    // A worker's lease: a claimed row is skipped by others until then (a crashed worker's rows come back).
    .addColumn('claimed_until', 'text')
    .addColumn('last_error', 'text')
    .addColumn('reason', 'text')
    .addColumn('processed_at', 'text')
    .addUniqueConstraint('sync_deliveries_key', ['mapping_id', 'delivery_key'])
    .execute();
  await db.schema
    .createIndex('sync_deliveries_due')
    .on('sync_deliveries')
    .columns(['state', 'next_attempt_at'])
    .execute();
  await db.schema
    .createIndex('sync_deliveries_mapping_state')
    .on('sync_deliveries')
    .columns(['mapping_id', 'state'])
    .execute();
}
