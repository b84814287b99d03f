import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { AppError, notFound } from '../errors.js';
import type { Database, Role, UsersTable } from '../store/schema.js';
import { checkNewPassword, generatePassword, hashPassword } from './passwords.js';

export const ROLES: readonly Role[] = ['admin', 'tester'];
export const FIRST_ADMIN_USERNAME = 'admin';

/** A user as the rest of the product and the API see it: never the password hash. */
export type User = { id: string; username: string; role: Role; createdAt: string; updatedAt: string };

export function toUser(
  row: Pick<UsersTable, 'id' | 'username' | 'role' | 'created_at' | 'updated_at'>,
): User {
  return {
    id: row.id,
    username: row.username,
    role: row.role,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const USERNAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;

/** Usernames are case-insensitive: `Admin` and `admin` are one account. */
export function normalizeUsername(raw: string): string {
  const name = raw.trim().toLowerCase();
  if (!USERNAME.test(name)) {
    throw new AppError(
      'invalid_username',
      `The username ${JSON.stringify(raw.slice(0, 80))} is not allowed.`,
      {
        hint: 'Use 1-64 letters, digits, dots, dashes, underscores or @, starting with a letter or digit.',
      },
    );
  }
  return name;
}

export function parseRole(raw: string): Role {
  if ((ROLES as readonly string[]).includes(raw)) return raw as Role;
  throw new AppError('invalid_role', `The role ${JSON.stringify(raw.slice(0, 40))} does not exist.`, {
    hint: 'Use admin (manages integrations and users) or tester.',
  });
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || /unique/i.test(e?.message ?? '');
}

const userColumns = ['id', 'username', 'role', 'created_at', 'updated_at'] as const;

export async function listUsers(db: Kysely<Database>): Promise<User[]> {
  const rows = await db.selectFrom('users').select(userColumns).orderBy('username').execute();
  return rows.map(toUser);
}

export async function getUser(db: Kysely<Database>, id: string): Promise<User> {
  const row = await db.selectFrom('users').select(userColumns).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`User ${id}`, 'List users with GET /api/users to find the id.');
  return toUser(row);
}

export async function findUserByUsername(
  db: Kysely<Database>,
  username: string,
): Promise<UsersTable | undefined> {
  return db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
}

export async function countUsers(db: Kysely<Database>): Promise<number> {
  const r = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function createUser(
  db: Kysely<Database>,
  input: { username: string; role: Role; password: string },
): Promise<User> {
  const username = normalizeUsername(input.username);
  checkNewPassword(input.password);
  const now = new Date().toISOString();
  const row: UsersTable = {
    id: randomUUID(),
    username,
    role: input.role,
    password_hash: await hashPassword(input.password),
    created_at: now,
    updated_at: now,
    password_changed_at: now,
  };
  try {
    await db.insertInto('users').values(row).execute();
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new AppError('username_taken', `A user named ${username} already exists.`, {
        status: 409,
        hint: 'Choose another username, or change that user instead.',
      });
    }
    throw err;
  }
  return toUser(row);
}

/**
 * Changes role and/or password. Refuses to leave the installation without an admin, since
 * nobody could then manage integrations or users from the UI. Password changes end the
 * user's sessions except `keepSessionId` (the caller's own, when changing one's own).
 */
export async function updateUser(
  db: Kysely<Database>,
  id: string,
  change: { role?: Role | undefined; password?: string | undefined },
  options: { keepSessionId?: string | undefined } = {},
): Promise<User> {
  if (change.password !== undefined) checkNewPassword(change.password);
  const passwordHash = change.password === undefined ? undefined : await hashPassword(change.password);
  return db.transaction().execute(async (trx) => {
    const current = await trx.selectFrom('users').select(userColumns).where('id', '=', id).executeTakeFirst();
    if (!current) throw notFound(`User ${id}`, 'List users with GET /api/users to find the id.');
    if (change.role && change.role !== 'admin' && current.role === 'admin') {
      const admins = await trx
        .selectFrom('users')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('role', '=', 'admin')
        .executeTakeFirstOrThrow();
      if (Number(admins.n) <= 1) {
        throw new AppError('last_admin', `${current.username} is the only admin and must stay one.`, {
          status: 409,
          hint: 'Make another user an admin first.',
        });
      }
    }
    const now = new Date().toISOString();
    await trx
      .updateTable('users')
      .set({
        updated_at: now,
        ...(change.role ? { role: change.role } : {}),
        ...(passwordHash ? { password_hash: passwordHash, password_changed_at: now } : {}),
      })
      .where('id', '=', id)
      .execute();
    if (passwordHash) {
      let q = trx.deleteFrom('sessions').where('user_id', '=', id);
      if (options.keepSessionId) q = q.where('id', '!=', options.keepSessionId);
      await q.execute();
    }
    return toUser({ ...current, role: change.role ?? current.role, updated_at: now });
  });
}

export type FirstAdmin = { username: string; password: string; generated: boolean };

/**
 * On a database without users, creates `admin` with the configured password or a random
 * one; returns it so the caller can show it once. Returns undefined when users exist
 * (including when another instance created the admin a moment ago).
 */
export async function ensureFirstAdmin(
  db: Kysely<Database>,
  options: { password?: string | undefined } = {},
): Promise<FirstAdmin | undefined> {
  if ((await countUsers(db)) > 0) return undefined;
  const password = options.password ?? generatePassword();
  try {
    await createUser(db, { username: FIRST_ADMIN_USERNAME, role: 'admin', password });
  } catch (err) {
    if (err instanceof AppError && err.code === 'username_taken') return undefined;
    throw err;
  }
  return { username: FIRST_ADMIN_USERNAME, password, generated: options.password === undefined };
}
