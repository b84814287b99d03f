import { type Kysely, sql } from 'kysely';

// A Testbridge project mapped to a Jira project, with the state of its sync: the webhook
// (fields the webhook lifecycle owns), the checkpointed full import, the reconciliation
// watermark, and Jira API calls spent per reason.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sync_mappings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) =>
      c.notNull().unique().references('tm_projects.id').onDelete('cascade'),
    )
    .addColumn('jira_instance_id', 'text', (c) => c.notNull())
    .addColumn('jira_project_id', 'text', (c) => c.notNull())
    .addColumn('jira_project_key', 'text', (c) => c.notNull())
    .addColumn('jira_project_name', 'text', (c) => c.notNull())
    .addColumn('requirement_types', 'text', (c) => c.notNull())
    .addColumn('defect_types', 'text', (c) => c.notNull())
    .addColumn('extra_jql', 'text')
    .addColumn('version_mode', 'text', (c) =>
      c.notNull().check(sql`version_mode in ('all', 'unarchived', 'none')`),
    )
    .addColumn('synced_fields', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('alert', 'text')
    // Webhook: the lifecycle (src/integration/webhooks.ts) owns these.
    .addColumn('webhook_mode', 'text', (c) => c.notNull().check(sql`webhook_mode in ('automatic', 'manual')`))
    .addColumn('webhook_token', 'text', (c) => c.notNull().unique())
    .addColumn('webhook_secret_sealed', 'text')
    .addColumn('jira_webhook_id', 'text')
    .addColumn('webhook_state', 'text', (c) => c.notNull())
    .addColumn('webhook_error', 'text')
    .addColumn('webhook_expires_at', 'text')
    .addColumn('webhook_verified_at', 'text')
    .addColumn('webhook_checked_at', 'text')
    .addColumn('last_delivery_at', 'text')
    // Full import: a checkpoint after every committed page.
    .addColumn('import_state', 'text', (c) => c.notNull())
    .addColumn('import_cursor', 'text')
    .addColumn('import_done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('import_total', 'integer')
    .addColumn('import_started_at', 'text')
    .addColumn('import_finished_at', 'text')
    .addColumn('import_error', 'text')
    .addColumn('import_counts', 'text')
    // Reconciliation.
    .addColumn('watermark', 'text')
    .addColumn('last_reconcile_at', 'text')
    .addColumn('last_reconcile', 'text')
    .addColumn('last_id_scan_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('sync_mappings_jira_project', ['jira_instance_id', 'jira_project_id'])
    .execute();

  await db.schema
    .createTable('sync_api_calls')
    .addColumn('mapping_id', 'text', (c) => c.notNull().references('sync_mappings.id').onDelete('cascade'))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('calls', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rate_limited', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sync_api_calls_pk', ['mapping_id', 'reason'])
    .execute();
}
