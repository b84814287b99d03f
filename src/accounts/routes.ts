import { deleteCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { readJson } from '../server/json.js';
import type { RouteRegistrar } from '../server/types.js';
import {
  checkOrigin,
  clientAddress,
  currentUser,
  isSecureDeployment,
  requireAdmin,
  requireUser,
  sessionCookieName,
} from './middleware.js';
import { dummyPasswordHash, MAX_PASSWORD_LENGTH, verifyPassword } from './passwords.js';
import { DEFAULT_SIGN_IN_LIMITS, type SignInLimits, SignInLimiter } from './rate-limit.js';
import { createSession, deleteSession, SESSION_MAX_MS } from './sessions.js';
import {
  createUser,
  findUserByUsername,
  getUser,
  listUsers,
  normalizeUsername,
  parseRole,
  toUser,
  updateUser,
} from './users.js';

/**
 * Sign-in, sign-out, "who am I", user management (admins) and changing one's own password.
 *
 *   POST   /api/session          {username, password} -> {user, csrfToken} + session cookie
 *   GET    /api/session          -> {user, csrfToken}
 *   DELETE /api/session          -> 204
 *   GET    /api/users            (admin) -> {users}
 *   POST   /api/users            (admin) {username, role?, password} -> 201 {user}
 *   PATCH  /api/users/:id        (admin) {role?, password?} -> {user}
 *   POST   /api/me/password      {currentPassword, newPassword} -> 204
 */

const text = (what: string) => z.string({ error: `must be a string (${what})` });
const password = (what: string) =>
  text(what).max(MAX_PASSWORD_LENGTH, { error: `must be at most ${MAX_PASSWORD_LENGTH} characters` });
const role = z.enum(['admin', 'tester'], { error: 'must be admin or tester' });

const signInBody = z.object({ username: text('the username').max(200), password: password('the password') });
const createUserBody = z.object({
  username: text('the new username'),
  role: role.optional(),
  password: password('at least 12 characters'),
});
const patchUserBody = z
  .object({ role: role.optional(), password: password('at least 12 characters').optional() })
  .refine((b) => b.role !== undefined || b.password !== undefined, {
    error: 'must contain role or password',
  });
const changePasswordBody = z.object({
  currentPassword: password('your current password'),
  newPassword: password('at least 12 characters'),
});

export type AccountsOptions = { signInLimits?: SignInLimits };

export function accountsRoutes(options: AccountsOptions = {}): RouteRegistrar {
  return (app, deps) => {
    const { store, config } = deps;
    const limiter = new SignInLimiter(options.signInLimits ?? DEFAULT_SIGN_IN_LIMITS);
    const cookieName = sessionCookieName(config);
    const secure = isSecureDeployment(config);
    const noStore = { 'cache-control': 'no-store' };

    app.post('/api/session', async (c) => {
      checkOrigin(c, config);
      const body = await readJson(c, signInBody, '{"username":"admin","password":"…"}');
      const address = clientAddress(c, config.trustProxy);
      const username = body.username.trim().toLowerCase();
      limiter.check(username, address);
      const row = await findUserByUsername(store.db, username);
      const ok = await verifyPassword(body.password, row?.password_hash ?? (await dummyPasswordHash()));
      if (!row || !ok) {
        limiter.recordFailure(username, address);
        c.get('log').warn({ username: username.slice(0, 64), address }, 'sign-in failed');
        throw new AppError('invalid_credentials', 'The username or password is wrong.', {
          status: 401,
          hint: 'Check both and try again. After several failures sign-in is paused for a while.',
        });
      }
      limiter.recordSuccess(username);
      // A new session on every sign-in: a cookie planted before sign-in never gains rights.
      const old = c.get('session');
      if (old) await deleteSession(store.db, old.id);
      const user = toUser(row);
      const { token, session } = await createSession(store.db, user, {
        userAgent: c.req.header('user-agent'),
        ip: address,
      });
      setCookie(c, cookieName, token, {
        httpOnly: true,
        sameSite: 'Lax',
        secure,
        path: '/',
        maxAge: Math.floor(SESSION_MAX_MS / 1000),
      });
      c.get('log').info({ userId: user.id, username: user.username }, 'signed in');
      return c.json({ user, csrfToken: session.csrfToken }, 200, noStore);
    });

    app.get('/api/session', requireUser, (c) => {
      const session = c.get('session');
      return c.json({ user: currentUser(c), csrfToken: session?.csrfToken }, 200, noStore);
    });

    app.delete('/api/session', async (c) => {
      const session = c.get('session');
      if (session) await deleteSession(store.db, session.id);
      deleteCookie(c, cookieName, { path: '/', secure });
      return c.body(null, 204);
    });

    app.get('/api/users', requireAdmin, async (c) => c.json({ users: await listUsers(store.db) }));

    app.post('/api/users', requireAdmin, async (c) => {
      const body = await readJson(c, createUserBody, '{"username":"alice","role":"tester","password":"…"}');
      const user = await createUser(store.db, {
        username: normalizeUsername(body.username),
        role: parseRole(body.role ?? 'tester'),
        password: body.password,
      });
      c.get('log').info(
        { userId: user.id, username: user.username, role: user.role, by: currentUser(c).id },
        'user created',
      );
      return c.json({ user }, 201);
    });

    app.patch('/api/users/:id', requireAdmin, async (c) => {
      const id = c.req.param('id');
      const body = await readJson(c, patchUserBody, '{"role":"admin"} or {"password":"…"}');
      await getUser(store.db, id);
      const self = currentUser(c).id === id;
      const user = await updateUser(store.db, id, body, {
        keepSessionId: self ? c.get('session')?.id : undefined,
      });
      c.get('log').info(
        { userId: id, role: body.role, passwordReset: body.password !== undefined, by: currentUser(c).id },
        'user changed',
      );
      return c.json({ user });
    });

    app.post('/api/me/password', requireUser, async (c) => {
      const me = currentUser(c);
      const body = await readJson(c, changePasswordBody, '{"currentPassword":"…","newPassword":"…"}');
      const address = clientAddress(c, config.trustProxy);
      limiter.check(me.username, address);
      const row = await findUserByUsername(store.db, me.username);
      if (!row || !(await verifyPassword(body.currentPassword, row.password_hash))) {
        limiter.recordFailure(me.username, address);
        throw new AppError('invalid_credentials', 'The current password is wrong.', {
          status: 403,
          hint: 'Type your current password again; if it is lost, ask an admin to set a new one.',
        });
      }
      await updateUser(
        store.db,
        me.id,
        { password: body.newPassword },
        { keepSessionId: c.get('session')?.id },
      );
      c.get('log').info({ userId: me.id }, 'password changed');
      return c.body(null, 204);
    });
  };
}
