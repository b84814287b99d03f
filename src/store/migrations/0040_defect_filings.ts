import type { Kysely } from 'kysely';

// Filing defects into Jira from failed executions. Attachments are uploaded with the execution
// and kept until they are filed (base64 text: one portable column type on SQLite and PostgreSQL).
// A filing row is the idempotency record: one per (execution, Idempotency-Key), with the Jira
// steps already done so a retry resumes the missing ones instead of creating a second issue.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('tm_execution_attachments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('execution_id', 'text', (c) => c.notNull().references('tm_executions.id').onDelete('cascade'))
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('content_base64', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('tm_execution_attachments_execution')
    .on('tm_execution_attachments')
    .column('execution_id')
    .execute();

  await db.schema
    .createTable('tm_defect_filings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('execution_id', 'text', (c) => c.notNull().references('tm_executions.id').onDelete('cascade'))
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('request_json', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('claimed_until', 'text')
    .addColumn('jira_instance_id', 'text', (c) => c.notNull())
    .addColumn('jira_issue_id', 'text')
    .addColumn('jira_key', 'text')
    .addColumn('defect_id', 'text')
    .addColumn('progress_json', 'text', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('tm_defect_filings_key', ['execution_id', 'idempotency_key'])
    .execute();
}
