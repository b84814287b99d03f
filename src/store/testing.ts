import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import { type Dialect, openStore, type Store, withDefaultUser } from './store.js';

/**
 * Test support for store-backed code: every suite runs once per dialect, each on a fresh
 * SQLite file or a fresh PostgreSQL schema that is dropped afterwards, so parallel runs
 * (two vitest workers, two CI jobs on one database) never see each other's rows.
 */
export const DIALECTS: readonly Dialect[] = ['sqlite', 'postgres'];

/** PostgreSQL used by tests; the machine and CI always have it. */
export const TEST_DATABASE_URL = process.env.TESTBRIDGE_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';

export type TestStore = Store & {
  /** SQLite file path, or the PostgreSQL URL with its schema. */
  location: string;
  /** Closes the store and deletes the file / drops the schema. */
  cleanup(): Promise<void>;
};

/** Test schemas older than this are leftovers of killed runs and are dropped on sight. */
const STALE_SCHEMA_SECONDS = 6 * 60 * 60;

async function withAdminClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: withDefaultUser(new URL(TEST_DATABASE_URL)).toString(),
    connectionTimeoutMillis: 5000,
  });
  try {
    await client.connect();
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(
      `PostgreSQL tests need a server at ${TEST_DATABASE_URL} (${why}). Start it ` +
        '(pg_ctlcluster 15 main start, or .ci/run does it) or point TESTBRIDGE_TEST_DATABASE_URL at one.',
      { cause: err },
    );
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

async function dropStaleSchemas(client: pg.Client): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const { rows } = await client.query<{ nspname: string }>(
    "select nspname from pg_namespace where nspname like 'tb\\_test\\_%'",
  );
  for (const { nspname } of rows) {
    const born = Number(nspname.split('_')[2]);
    if (Number.isFinite(born) && now - born > STALE_SCHEMA_SECONDS) {
      await client.query(`drop schema if exists "${nspname}" cascade`).catch(() => {});
    }
  }
}

/** A migrated store on a fresh database; call `cleanup()` when done. */
export async function createTestStore(
  dialect: Dialect,
  options: { migrate?: boolean } = {},
): Promise<TestStore> {
  const migrate = options.migrate ?? true;
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'testbridge-store-'));
    const path = join(dir, 'testbridge.sqlite');
    const store = await openStore({ databaseUrl: path, dialect });
    if (migrate) await store.migrate();
    return Object.assign(store, {
      location: path,
      async cleanup() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    });
  }
  const schema = `tb_test_${Math.floor(Date.now() / 1000)}_${randomBytes(5).toString('hex')}`;
  await withAdminClient(async (client) => {
    await dropStaleSchemas(client);
    await client.query(`create schema "${schema}"`);
  });
  const store = await openStore({ databaseUrl: TEST_DATABASE_URL, dialect, schema });
  if (migrate) await store.migrate();
  return Object.assign(store, {
    location: `${TEST_DATABASE_URL}?schema=${schema}`,
    async cleanup() {
      await store.close();
      await withAdminClient((client) => client.query(`drop schema if exists "${schema}" cascade`));
    },
  });
}

/**
 * Runs `body` once per dialect inside `describe('<name> [sqlite]')` and
 * `describe('<name> [postgres]')`. The store is created (and migrated) before the suite's
 * tests and removed after them; tests in one suite share it, so give rows unique names.
 */
export function describeEachDialect(
  name: string,
  body: (getStore: () => TestStore, dialect: Dialect) => void,
): void {
  for (const dialect of DIALECTS) {
    describe(`${name} [${dialect}]`, () => {
      let store: TestStore | undefined;
      beforeAll(async () => {
        store = await createTestStore(dialect);
      });
      afterAll(async () => {
        await store?.cleanup();
      });
      body(() => {
        if (!store)
          throw new Error(`The ${dialect} test store was not created; see the beforeAll error above.`);
        return store;
      }, dialect);
    });
  }
}
