import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, type Migration, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { migrations as allMigrations, type StoreMigration } from './migrations/index.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export type StoreOptions = {
  /** A file path (or `sqlite:PATH`, `:memory:`) for SQLite, `postgres://…` for PostgreSQL. */
  databaseUrl: string;
  /** Inferred from the URL when absent. */
  dialect?: Dialect | undefined;
  /** PostgreSQL only: the schema to work in (also `?schema=NAME` in the URL). */
  schema?: string | undefined;
  logger?: Logger | undefined;
  /** Overridable so tests can check that later migrations apply on top of earlier ones. */
  migrations?: StoreMigration[] | undefined;
};

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /** PostgreSQL schema in use; undefined on SQLite. */
  schema: string | undefined;
  /** Applies pending migrations; returns the names it applied. Safe to run from several instances. */
  migrate(): Promise<string[]>;
  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function dialectOf(databaseUrl: string): Dialect {
  return /^postgres(ql)?:\/\//i.test(databaseUrl) ? 'postgres' : 'sqlite';
}

/** DATABASE_URL with any password replaced, for messages and logs. */
export function redactDatabaseUrl(databaseUrl: string): string {
  if (!URL.canParse(databaseUrl)) return databaseUrl;
  const u = new URL(databaseUrl);
  if (u.password) u.password = '***';
  return u.toString();
}

export async function openStore(options: StoreOptions): Promise<Store> {
  const dialect = options.dialect ?? dialectOf(options.databaseUrl);
  return dialect === 'postgres' ? openPostgres(options) : openSqlite(options);
}

function toMigrator(db: Kysely<Database>, list: StoreMigration[], migrationTableSchema?: string): Migrator {
  return new Migrator({
    db,
    migrationTableSchema,
    provider: {
      async getMigrations() {
        const byName: Record<string, Migration> = {};
        for (const m of list) byName[m.name] = { up: (db) => m.up(db) };
        return byName;
      },
    },
  });
}

async function runMigrator(migrator: Migrator): Promise<string[]> {
  const { error, results } = await migrator.migrateToLatest();
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    const why = error instanceof Error ? error.message : String(error);
    throw new AppError(
      'migration_failed',
      `Updating the database schema failed${failed ? ` in migration ${failed}` : ''}: ${why}`,
      {
        status: 500,
        hint: 'Nothing was half-applied on PostgreSQL (each run is one transaction). Check the database user may create tables, fix the cause and start again.',
        cause: error,
      },
    );
  }
  return applied;
}

function openSqlite(options: StoreOptions): Store {
  const path = options.databaseUrl.replace(/^(sqlite:|file:)/, '');
  let database: BetterSqlite3.Database;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    database = new BetterSqlite3(path);
    // WAL lets readers run while one writer writes; busy_timeout makes a second writer
    // (another process, the CLI next to a running server) wait instead of failing at once.
    database.pragma('journal_mode = WAL');
    database.pragma('foreign_keys = ON');
    database.pragma('busy_timeout = 5000');
    database.pragma('synchronous = NORMAL');
  } catch (err) {
    throw new AppError('database_unavailable', `Cannot open the SQLite database at ${path}.`, {
      status: 500,
      hint: 'Check that the data directory exists and is writable by this user, or set DATABASE_URL / TESTBRIDGE_DATA_DIR.',
      cause: err,
    });
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  const list = options.migrations ?? allMigrations;
  return {
    db,
    dialect: 'sqlite',
    schema: undefined,
    async migrate() {
      // Kysely runs SQLite migrations without a transaction. BEGIN IMMEDIATE on the one
      // shared connection makes them atomic, and takes the write lock up front so a second
      // process starting at the same moment waits (busy_timeout), then sees them applied.
      database.exec('BEGIN IMMEDIATE');
      try {
        const applied = await runMigrator(toMigrator(db, list));
        database.exec('COMMIT');
        return applied;
      } catch (err) {
        if (database.inTransaction) database.exec('ROLLBACK');
        throw err;
      }
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}

function describePgError(err: unknown, url: string): AppError {
  const code = (err as { code?: string } | undefined)?.code;
  const where = redactDatabaseUrl(url);
  const hints: Record<string, string> = {
    ECONNREFUSED: 'Start PostgreSQL, or correct the host and port in DATABASE_URL.',
    ENOTFOUND: 'The host name in DATABASE_URL does not resolve; correct it.',
    '28P01': 'The password in DATABASE_URL was rejected; correct it.',
    '28000': 'PostgreSQL refused this user; check the user name in DATABASE_URL and pg_hba.conf.',
    '3D000': 'The database in DATABASE_URL does not exist; create it (createdb NAME) or correct the URL.',
  };
  return new AppError('database_unavailable', `Cannot connect to PostgreSQL at ${where}.`, {
    status: 503,
    hint: (code && hints[code]) || 'Check that PostgreSQL is running and DATABASE_URL is correct.',
    cause: err,
  });
}

/**
 * Like psql: no user in the URL means PGUSER or the operating-system user. pg itself reads
 * $USER, which service managers and containers often leave unset.
 */
export function withDefaultUser(url: URL): URL {
  const u = new URL(url);
  if (!u.username) u.username = encodeURIComponent(process.env.PGUSER ?? userInfo().username);
  return u;
}

async function openPostgres(options: StoreOptions): Promise<Store> {
  const url = new URL(options.databaseUrl);
  const schema = options.schema ?? (url.searchParams.get('schema') || undefined);
  url.searchParams.delete('schema');
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new AppError(
      'config_invalid',
      `The PostgreSQL schema name ${JSON.stringify(schema)} is not valid.`,
      {
        hint: 'Use letters, digits and underscores only, starting with a letter, e.g. ?schema=testbridge.',
      },
    );
  }
  const pool = new pg.Pool({
    connectionString: withDefaultUser(url).toString(),
    max: 10,
    connectionTimeoutMillis: 10_000,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client that loses its connection emits 'error' on the pool; unhandled, that
  // would crash the whole server over a database restart the pool recovers from anyway.
  pool.on('error', (err) => options.logger?.warn({ err }, 'PostgreSQL connection dropped'));
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    await pool.end().catch(() => {});
    throw describePgError(err, options.databaseUrl);
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const list = options.migrations ?? allMigrations;
  return {
    db,
    dialect: 'postgres',
    schema,
    async migrate() {
      // Name the schema explicitly: Kysely looks for its migration tables across every
      // visible schema otherwise, and would find another schema's in a shared database.
      const current =
        schema ?? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s ?? 'public';
      return runMigrator(toMigrator(db, list, current));
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}
