import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { toUser, type User } from './users.js';

/**
 * Browser sessions. The cookie carries a random 256-bit token; the database keeps only its
 * SHA-256, so a leaked row or backup cannot be replayed as a cookie. The CSRF token is an
 * HMAC of the session token: the server can recompute it on every request without storing
 * it, and it is useless without the (HttpOnly, unreadable to scripts) cookie.
 */

/** A session ends after this long without requests... */
export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
/** ...and after this long in any case. */
export const SESSION_MAX_MS = 7 * 24 * 60 * 60 * 1000;
/** Writing last_seen on every request would turn every read into a write. */
const TOUCH_EVERY_MS = 60 * 1000;

export type Session = { id: string; user: User; csrfToken: string; expiresAt: string };

export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('testbridge csrf v1').digest('base64url');
}

export function csrfTokenMatches(sessionToken: string, presented: string | undefined): boolean {
  if (!presented) return false;
  const a = Buffer.from(csrfTokenFor(sessionToken));
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function createSession(
  db: Kysely<Database>,
  user: User,
  meta: { userAgent?: string | undefined; ip?: string | undefined },
  now = new Date(),
): Promise<{ token: string; session: Session }> {
  const token = randomBytes(32).toString('base64url');
  const id = randomUUID();
  const expiresAt = new Date(now.getTime() + SESSION_IDLE_MS).toISOString();
  await db
    .insertInto('sessions')
    .values({
      id,
      token_hash: hashSessionToken(token),
      user_id: user.id,
      created_at: now.toISOString(),
      last_seen_at: now.toISOString(),
      expires_at: expiresAt,
      user_agent: meta.userAgent?.slice(0, 300) ?? null,
      ip: meta.ip ?? null,
    })
    .execute();
  return { token, session: { id, user, csrfToken: csrfTokenFor(token), expiresAt } };
}

/** The live session for a cookie token, extended on use; undefined when unknown or expired. */
export async function findSession(
  db: Kysely<Database>,
  token: string,
  now = new Date(),
): Promise<Session | undefined> {
  if (token.length < 20 || token.length > 100) return undefined;
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'sessions.id as session_id',
      'sessions.created_at as session_created_at',
      'sessions.last_seen_at',
      'sessions.expires_at',
      'users.id',
      'users.username',
      'users.role',
      'users.created_at',
      'users.updated_at',
    ])
    .where('sessions.token_hash', '=', hashSessionToken(token))
    .executeTakeFirst();
  if (!row) return undefined;
  const t = now.getTime();
  const hardEnd = Date.parse(row.session_created_at) + SESSION_MAX_MS;
  if (t >= Date.parse(row.expires_at) || t >= hardEnd) {
    await db.deleteFrom('sessions').where('id', '=', row.session_id).execute();
    return undefined;
  }
  let expiresAt = row.expires_at;
  if (t - Date.parse(row.last_seen_at) >= TOUCH_EVERY_MS) {
    expiresAt = new Date(Math.min(t + SESSION_IDLE_MS, hardEnd)).toISOString();
    await db
      .updateTable('sessions')
      .set({ last_seen_at: now.toISOString(), expires_at: expiresAt })
      .where('id', '=', row.session_id)
      .execute();
  }
  return { id: row.session_id, user: toUser(row), csrfToken: csrfTokenFor(token), expiresAt };
}

export async function deleteSession(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', id).execute();
}

/** Housekeeping for sessions nobody came back to. */
export async function deleteExpiredSessions(db: Kysely<Database>, now = new Date()): Promise<number> {
  const r = await db.deleteFrom('sessions').where('expires_at', '<=', now.toISOString()).executeTakeFirst();
  return Number(r.numDeletedRows);
}
