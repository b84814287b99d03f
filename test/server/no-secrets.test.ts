import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/server/start.js';

/**
 * Black-box check of the promise "no secret in clear at rest or in logs": run the real
 * server on a SQLite file, sign in, change passwords, make failed sign-ins, seal secrets
 * the way integrations will, then search every byte of the database files and every log
 * line for each secret in the encodings it could leak in.
 */
describe('secrets at rest and in logs [sqlite]', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'testbridge-nosecret-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('finds no password, session token, sealed secret or master key in the database file or the logs', async () => {
    const logs: string[] = [];
    const banner: string[] = [];
    const masterKey = randomBytes(32);
    const server = await startServer(
      { port: 0, host: '127.0.0.1', dataDir },
      {
        out: new Writable({ write: (c: Buffer, _e, done) => done(void banner.push(c.toString())) }),
        logDestination: new Writable({ write: (c: Buffer, _e, done) => done(void logs.push(c.toString())) }),
        handleSignals: false,
        env: { LOG_LEVEL: 'trace', TESTBRIDGE_SECRET_KEY: masterKey.toString('hex') },
      },
    );
    const base = `http://127.0.0.1:${server.port}`;
    const adminPassword = /password: (\S+)/.exec(banner.join(''))?.[1] ?? '';
    expect(adminPassword).not.toBe('');

    const call = async (method: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${base}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });

    // A failed sign-in: the wrong password must not be logged either.
    const wrongPassword = `wrong-${randomBytes(8).toString('hex')}`;
    expect((await call('POST', '/api/session', { username: 'admin', password: wrongPassword })).status).toBe(
      401,
    );

    const signIn = await call('POST', '/api/session', { username: 'admin', password: adminPassword });
    expect(signIn.status).toBe(200);
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const sessionToken = cookie.split('=')[1] ?? '';
    const { csrfToken } = (await signIn.json()) as { csrfToken: string };
    const auth = { cookie, 'x-csrf-token': csrfToken };

    const testerPassword = `tester-${randomBytes(8).toString('hex')}`;
    expect(
      (await call('POST', '/api/users', { username: 'tess', password: testerPassword }, auth)).status,
    ).toBe(201);
    const newAdminPassword = `admin-${randomBytes(8).toString('hex')}`;
    const changed = await call(
      'POST',
      '/api/me/password',
      { currentPassword: adminPassword, newPassword: newAdminPassword },
      auth,
    );
    expect(changed.status).toBe(204);

    // Secrets as integrations store them: sealed with a context, in a row.
    const secrets = {
      privateKey: `-----BEGIN PRIVATE KEY-----\n${randomBytes(48).toString('base64')}\n-----END PRIVATE KEY-----`,
      accessToken: randomBytes(16).toString('hex'),
      tokenSecret: randomBytes(16).toString('base64url'),
      apiToken: `ATATT${randomBytes(20).toString('base64url')}`,
      webhookSecret: randomBytes(24).toString('hex'),
    };
    for (const [name, value] of Object.entries(secrets)) {
      await server.store.db
        .insertInto('settings')
        .values({
          name: `test.${name}`,
          value: server.vault.seal(value, `settings:test.${name}`),
          updated_at: new Date().toISOString(),
        })
        .execute();
      const back = await server.store.db
        .selectFrom('settings')
        .select('value')
        .where('name', '=', `test.${name}`)
        .executeTakeFirstOrThrow();
      expect(server.vault.open(back.value, `settings:test.${name}`)).toBe(value);
    }
    await server.close();

    const dbFile = join(dataDir, 'testbridge.sqlite');
    const files = [dbFile, `${dbFile}-wal`, `${dbFile}-shm`].filter(existsSync);
    const atRest = Buffer.concat(files.map((f) => readFileSync(f)));
    const logText = logs.join('');
    expect(atRest.length).toBeGreaterThan(0);
    expect(logText).toContain('signed in');
    expect(logText).toContain('sign-in failed');

    const needles: Record<string, string> = {
      adminPassword,
      newAdminPassword,
      testerPassword,
      wrongPassword,
      sessionToken,
      masterKeyHex: masterKey.toString('hex'),
      masterKeyBase64: masterKey.toString('base64'),
      ...secrets,
    };
    for (const [what, value] of Object.entries(needles)) {
      expect(value.length, what).toBeGreaterThan(8);
      for (const encoding of [
        value,
        Buffer.from(value).toString('base64'),
        Buffer.from(value).toString('hex'),
      ]) {
        expect(atRest.includes(Buffer.from(encoding)), `${what} in the database files`).toBe(false);
        expect(logText.includes(encoding), `${what} in the logs`).toBe(false);
      }
    }
    expect(atRest.includes(masterKey), 'raw master key bytes in the database files').toBe(false);
    // The needle search must be able to find things: the usernames are there in clear.
    expect(atRest.includes(Buffer.from('tess'))).toBe(true);
  });
});
