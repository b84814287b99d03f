import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Hono } from 'hono';
import { generatePassword, cheapPasswordHashingForTests } from '../accounts/passwords.js';
import { createUser, ensureFirstAdmin, type User } from '../accounts/users.js';
import { type Config, loadConfig } from '../config/config.js';
import { createLogger, type Logger } from '../log.js';
import type { Role } from '../store/schema.js';
import type { Dialect, Store } from '../store/store.js';
import { createTestStore, type TestStore } from '../store/testing.js';
import { Vault, verifyMasterKey } from '../store/vault.js';
import { createApp } from './app.js';
import type { AppEnv, RouteRegistrar } from './types.js';

/**
 * In-process API testing for every capability: an app on a fresh store with a signed-in
 * admin, driven through `app.request()` (no network). Clients keep their session cookie
 * and send the CSRF header on state-changing requests, as the web UI does.
 *
 *   const t = await createTestApp();
 *   const res = await t.admin.request('/api/users');
 *   const { status, body } = await t.admin.json('POST', '/api/users', { username: 'bo', password: '…' });
 *   await t.close();
 */

export type JsonResult<T> = { status: number; body: T; res: Response };

export type TestClient = {
  /** Like fetch, relative to the app; adds the session cookie and, for POST/PUT/PATCH/DELETE, X-CSRF-Token. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** Sends `body` as JSON and parses the answer (undefined for empty bodies). */
  json<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<JsonResult<T>>;
  /** Signs in (POST /api/session) and keeps the cookie and CSRF token on success. */
  signIn(username: string, password: string): Promise<Response>;
  cookie: string | undefined;
  csrfToken: string | undefined;
};

export type TestApp = {
  app: Hono<AppEnv>;
  store: Store;
  vault: Vault;
  config: Config;
  logger: Logger;
  /** Every log line written so far, as emitted (JSON text). */
  logs: string[];
  /** The first admin, signed in. */
  admin: TestClient;
  adminUser: User & { password: string };
  /** A client with no session, from another address. */
  anonymous(address?: string): TestClient;
  /** Creates a user with a random password and returns a client signed in as them. */
  signedIn(role: Role, username?: string): Promise<{ client: TestClient; user: User; password: string }>;
  close(): Promise<void>;
};

export type TestAppOptions = {
  dialect?: Dialect;
  /** Use this store instead of a fresh one (it is not closed by `close()`). */
  store?: Store;
  registrars?: RouteRegistrar[];
  /** Pass with `store` when the store's vault check was made with a key of yours. */
  vault?: Vault;
  config?: Partial<Config>;
};

export function createTestClient(app: Hono<AppEnv>, options: { address?: string } = {}): TestClient {
  const address = options.address ?? '127.0.0.1';
  const env = { incoming: { socket: { remoteAddress: address } } };
  const client: TestClient = {
    cookie: undefined,
    csrfToken: undefined,
    async request(path, init = {}) {
      const headers = new Headers(init.headers);
      const method = (init.method ?? 'GET').toUpperCase();
      if (client.cookie && !headers.has('cookie')) headers.set('cookie', client.cookie);
      if (client.csrfToken && !['GET', 'HEAD', 'OPTIONS'].includes(method) && !headers.has('x-csrf-token')) {
        headers.set('x-csrf-token', client.csrfToken);
      }
      const res = await app.request(path, { ...init, method, headers }, env);
      const set = res.headers.get('set-cookie');
      if (set) {
        const [pair] = set.split(';');
        const value = pair?.slice(pair.indexOf('=') + 1) ?? '';
        client.cookie = value === '' || /max-age=0/i.test(set) ? undefined : pair;
      }
      return res;
    },
    async json<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
      const res = await client.request(path, {
        method,
        headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, res };
    },
    async signIn(username, password) {
      const res = await client.request('/api/session', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      });
      if (res.ok) {
        const body = (await res.clone().json()) as { csrfToken: string };
        client.csrfToken = body.csrfToken;
      }
      return res;
    },
  };
  return client;
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  cheapPasswordHashingForTests();
  const dataDir = mkdtempSync(join(tmpdir(), 'testbridge-app-'));
  const config: Config = { ...loadConfig({ dataDir, port: 8080 }, {}), ...options.config };
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = createLogger('debug', sink);
  const owned: TestStore | undefined = options.store
    ? undefined
    : await createTestStore(options.dialect ?? 'sqlite');
  const store = options.store ?? (owned as TestStore);
  const vault = options.vault ?? new Vault(randomBytes(32));
  if (owned) await verifyMasterKey(store.db, vault);
  const app = createApp(
    { config, logger, store, vault },
    options.registrars ? { registrars: options.registrars } : {},
  );

  const password = generatePassword();
  const first = await ensureFirstAdmin(store.db, { password });
  let adminUser: User & { password: string };
  let adminName = 'admin';
  if (first) {
    adminUser = {
      ...(await store.db
        .selectFrom('users')
        .select(['id', 'username', 'role', 'created_at as createdAt', 'updated_at as updatedAt'])
        .where('username', '=', 'admin')
        .executeTakeFirstOrThrow()),
      password,
    };
  } else {
    // A shared store already has an admin: add one of our own.
    adminName = `admin-${randomBytes(4).toString('hex')}`;
    adminUser = {
      ...(await createUser(store.db, { username: adminName, role: 'admin', password })),
      password,
    };
  }
  const admin = createTestClient(app);
  const res = await admin.signIn(adminName, password);
  if (res.status !== 200) throw new Error(`test admin could not sign in: ${res.status} ${await res.text()}`);

  let n = 0;
  return {
    app,
    store,
    vault,
    config,
    logger,
    logs,
    admin,
    adminUser,
    anonymous: (address = `10.0.0.${++n % 250}`) => createTestClient(app, { address }),
    async signedIn(role, username = `${role}-${randomBytes(4).toString('hex')}`) {
      const pw = generatePassword();
      const user = await createUser(store.db, { username, role, password: pw });
      const client = createTestClient(app, { address: `10.1.0.${++n % 250}` });
      const r = await client.signIn(username, pw);
      if (r.status !== 200) throw new Error(`test user could not sign in: ${r.status} ${await r.text()}`);
      return { client, user, password: pw };
    },
    async close() {
      await owned?.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
