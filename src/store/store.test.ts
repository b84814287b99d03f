import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Kysely, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { migrations } from './migrations/index.js';
import { openStore, redactDatabaseUrl } from './store.js';
import { createTestStore, DIALECTS, describeEachDialect, TEST_DATABASE_URL } from './testing.js';

const now = () => new Date().toISOString();

function newUser(username: string) {
  const t = now();
  return {
    id: randomUUID(),
    username,
    role: 'tester' as const,
    password_hash: 'scrypt$x',
    created_at: t,
    updated_at: t,
    password_changed_at: t,
  };
}

async function tableNames(
  db: Kysely<unknown>,
  dialect: string,
  schema: string | undefined,
): Promise<string[]> {
  if (dialect === 'sqlite') {
    const r = await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db);
    return r.rows.map((x) => x.name);
  }
  const r = await sql<{
    name: string;
  }>`select table_name as name from information_schema.tables where table_schema = ${schema}`.execute(db);
  return r.rows.map((x) => x.name);
}

describeEachDialect('store', (getStore, dialect) => {
  it('has run every migration at start and a second run applies nothing', async () => {
    const store = getStore();
    const names = await tableNames(store.db as Kysely<unknown>, dialect, store.schema);
    expect(names).toEqual(expect.arrayContaining(['users', 'sessions', 'settings', 'kysely_migration']));
    expect(await store.migrate()).toEqual([]);
  });

  it('round-trips rows with the portable column conventions', async () => {
    const { db } = getStore();
    const u = newUser(`rt-${randomUUID()}`);
    await db.insertInto('users').values(u).execute();
    const back = await db.selectFrom('users').selectAll().where('id', '=', u.id).executeTakeFirstOrThrow();
    expect(back).toEqual(u);
  });

  it('rejects a duplicate username', async () => {
    const { db } = getStore();
    const name = `dup-${randomUUID()}`;
    await db.insertInto('users').values(newUser(name)).execute();
    await expect(db.insertInto('users').values(newUser(name)).execute()).rejects.toThrow(/unique/i);
  });

  it('enforces foreign keys and cascades user deletion to sessions', async () => {
    const { db } = getStore();
    const t = now();
    const session = (userId: string) => ({
      id: randomUUID(),
      token_hash: randomUUID(),
      user_id: userId,
      created_at: t,
      last_seen_at: t,
      expires_at: t,
      user_agent: null,
      ip: null,
    });
    await expect(db.insertInto('sessions').values(session(randomUUID())).execute()).rejects.toThrow(
      /foreign key/i,
    );
    const u = newUser(`fk-${randomUUID()}`);
    await db.insertInto('users').values(u).execute();
    await db.insertInto('sessions').values(session(u.id)).execute();
    await db.deleteFrom('users').where('id', '=', u.id).execute();
    const left = await db.selectFrom('sessions').select('id').where('user_id', '=', u.id).execute();
    expect(left).toEqual([]);
  });

  it('rejects a role other than admin or tester', async () => {
    const { db } = getStore();
    const bad = { ...newUser(`role-${randomUUID()}`), role: 'owner' as 'admin' };
    await expect(db.insertInto('users').values(bad).execute()).rejects.toThrow(/check/i);
  });

  it('rolls a failed transaction back', async () => {
    const { db } = getStore();
    const u = newUser(`trx-${randomUUID()}`);
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('users').values(u).execute();
        throw new Error('stop');
      }),
    ).rejects.toThrow('stop');
    expect(await db.selectFrom('users').select('id').where('id', '=', u.id).execute()).toEqual([]);
  });

  it('answers ping', async () => {
    await expect(getStore().ping()).resolves.toBeUndefined();
  });
});

describe.each(DIALECTS)('store lifecycle [%s]', (dialect) => {
  it('applies a later migration on top of earlier ones, once', async () => {
    const store = await createTestStore(dialect, { migrate: false });
    try {
      expect(await store.migrate()).toEqual(migrations.map((m) => m.name));
      const extra = [
        ...migrations,
        {
          name: '9999_extra',
          up: async (db: Kysely<unknown>) => {
            await db.schema
              .createTable('extra')
              .addColumn('id', 'text', (c) => c.primaryKey())
              .execute();
          },
        },
      ];
      const again = await openStore({
        databaseUrl: store.location,
        dialect,
        schema: store.schema,
        migrations: extra,
      });
      try {
        expect(await again.migrate()).toEqual(['9999_extra']);
        expect(await again.migrate()).toEqual([]);
      } finally {
        await again.close();
      }
    } finally {
      await store.cleanup();
    }
  });

  it('leaves nothing behind when a migration fails', async () => {
    const store = await createTestStore(dialect, { migrate: false });
    const broken = [
      {
        name: '0001_broken',
        up: async (db: Kysely<unknown>) => {
          await db.schema.createTable('half').addColumn('id', 'text').execute();
          await sql`this is not sql`.execute(db);
        },
      },
    ];
    const s = await openStore({
      databaseUrl: store.location,
      dialect,
      schema: store.schema,
      migrations: broken,
    });
    try {
      const err = await s.migrate().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('migration_failed');
      expect((err as AppError).message).toMatch(/0001_broken/);
      expect(await tableNames(s.db as Kysely<unknown>, dialect, store.schema)).not.toContain('half');
    } finally {
      await s.close();
      await store.cleanup();
    }
  });

  it('throws after close instead of hanging', async () => {
    const store = await createTestStore(dialect);
    await store.cleanup();
    await expect(store.ping()).rejects.toThrow();
  });
});

describe('store [sqlite] specifics', () => {
  it('runs in WAL mode with foreign keys and a busy timeout', async () => {
    const store = await createTestStore('sqlite');
    try {
      const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db);
      const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(store.db);
      const busy = await sql<{ timeout: number }>`pragma busy_timeout`.execute(store.db);
      expect(mode.rows[0]?.journal_mode).toBe('wal');
      expect(fk.rows[0]?.foreign_keys).toBe(1);
      expect(busy.rows[0]?.timeout).toBeGreaterThanOrEqual(1000);
    } finally {
      await store.cleanup();
    }
  });

  it('migrates safely when two processes start on one new file at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'testbridge-race-'));
    const file = join(dir, 'race.sqlite');
    const script = `
      import { openStore } from ${JSON.stringify(new URL('./store.ts', import.meta.url).pathname)};
      const s = await openStore({ databaseUrl: ${JSON.stringify(file)} });
      const applied = await s.migrate();
      await s.close();
      console.log(JSON.stringify(applied));`;
    const run = () =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: process.cwd(),
      });
    try {
      const [a, b] = await Promise.all([run(), run()]);
      const applied = [JSON.parse(a.stdout), JSON.parse(b.stdout)].flat();
      expect(applied).toEqual(migrations.map((m) => m.name));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('explains a database path it cannot create', async () => {
    // A regular file where a directory should be; (not /proc: Node's recursive mkdir loops there).
    const dir = mkdtempSync(join(tmpdir(), 'testbridge-bad-'));
    writeFileSync(join(dir, 'file'), '');
    const err = await openStore({ databaseUrl: join(dir, 'file', 'x.sqlite') }).catch((e: unknown) => e);
    rmSync(dir, { recursive: true, force: true });
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('database_unavailable');
    expect((err as AppError).hint).toMatch(/writable/);
  });
});

describe('store [postgres] specifics', () => {
  it('keeps every table in its own schema', async () => {
    const store = await createTestStore('postgres');
    try {
      const r = await sql<{ s: string }>`select current_schema() as s`.execute(store.db);
      expect(r.rows[0]?.s).toBe(store.schema);
      const names = await tableNames(store.db as Kysely<unknown>, 'postgres', store.schema);
      expect(names).toEqual(expect.arrayContaining(['users', 'kysely_migration', 'kysely_migration_lock']));
    } finally {
      await store.cleanup();
    }
  });

  it('migrates safely when several instances start at once', async () => {
    const store = await createTestStore('postgres', { migrate: false });
    const others = await Promise.all(
      [1, 2, 3].map(() => openStore({ databaseUrl: TEST_DATABASE_URL, schema: store.schema })),
    );
    try {
      const results = await Promise.all([store, ...others].map((s) => s.migrate()));
      expect(results.flat()).toEqual(migrations.map((m) => m.name));
    } finally {
      await Promise.all(others.map((s) => s.close()));
      await store.cleanup();
    }
  });

  it('takes the schema from ?schema= in the URL', async () => {
    const store = await createTestStore('postgres');
    const viaUrl = await openStore({ databaseUrl: `${TEST_DATABASE_URL}?schema=${store.schema}` });
    try {
      expect(viaUrl.schema).toBe(store.schema);
      expect(await viaUrl.migrate()).toEqual([]);
    } finally {
      await viaUrl.close();
      await store.cleanup();
    }
  });

  it('explains an unreachable server without showing the password', async () => {
    const err = await openStore({ databaseUrl: 'postgres://u:hunter2secret@127.0.0.1:1/x' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('database_unavailable');
    expect((err as AppError).message).not.toContain('hunter2secret');
    expect((err as AppError).hint).toMatch(/Start PostgreSQL/);
    expect(redactDatabaseUrl('postgres://u:pw@h/db')).toBe('postgres://u:***@h/db');
  });

  it('rejects a schema name that could inject SQL', async () => {
    await expect(
      openStore({ databaseUrl: TEST_DATABASE_URL, schema: 'x; drop table users' }),
    ).rejects.toThrow(/schema name/);
  });
});
