import type { Kysely } from 'kysely';

// Named leases so several Testbridge instances on one PostgreSQL database never run the same
// mapping's import or reconcile twice at once; an instance that dies loses its lease on expiry.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sync_leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('until', 'text', (c) => c.notNull())
    .execute();
}
