import { type Kysely, sql } from 'kysely';

// Migrations take Kysely<unknown>: they must not depend on today's table types.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('jira_instances')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('jira_url', 'text', (c) => c.notNull())
    .addColumn('base_url', 'text', (c) => c.notNull())
    // The proxy URL may carry user:password, so only its host is kept in clear.
    .addColumn('proxy_host', 'text')
    .addColumn('proxy_url_sealed', 'text')
    .addColumn('tls_verify', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('ca_pem', 'text')
    .addColumn('auth_mode', 'text', (c) =>
      c.notNull().check(sql`auth_mode in ('oauth1', 'oauth2-cloud', 'oauth2-dc', 'pat', 'basic')`),
    )
    // Non-secret facts about the credentials, shown instead of the secrets themselves.
    .addColumn('auth_json', 'text', (c) => c.notNull())
    .addColumn('credentials_sealed', 'text')
    .addColumn('tokens_sealed', 'text')
    // Bumped on every token write: a compare-and-swap guard for rotated refresh tokens.
    .addColumn('tokens_version', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('token_expires_at', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_message', 'text')
    .addColumn('setup_step', 'text', (c) => c.notNull())
    .addColumn('deployment_json', 'text')
    .addColumn('acting_user', 'text')
    .addColumn('last_diagnostics_json', 'text')
    .addColumn('last_diagnostics_at', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('jira_authorizations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('instance_id', 'text', (c) => c.notNull().references('jira_instances.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('oauth1', 'oauth2')`))
    // SHA-256 of the request token (OAuth 1.0a) or state (OAuth 2.0): the callback finds its
    // row without the database holding anything a thief could replay.
    .addColumn('lookup_hash', 'text', (c) => c.notNull().unique())
    .addColumn('request_sealed', 'text', (c) => c.notNull())
    .addColumn('callback', 'text', (c) => c.notNull())
    .addColumn('started_by', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error_json', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('completed_at', 'text')
    .execute();
  await db.schema
    .createIndex('jira_authorizations_instance_id')
    .on('jira_authorizations')
    .column('instance_id')
    .execute();
}
