import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { type RunningServer, startServer } from '../../src/server/start.js';
import { createTestStore, DIALECTS, type TestStore } from '../../src/store/testing.js';
import { generateMasterKey } from '../../src/store/vault.js';

function sink() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(dataDir: string, env: NodeJS.ProcessEnv) {
  const out = sink();
  const logs = sink();
  const server = await startServer(
    { port: 0, host: '127.0.0.1', dataDir },
    {
      out: out.stream,
      logDestination: logs.stream,
      handleSignals: false,
      env: { LOG_LEVEL: 'info', ...env },
    },
  );
  cleanups.push(() => server.close());
  return { server, out, logs };
}

const healthz = async (s: RunningServer) => fetch(`http://127.0.0.1:${s.port}/healthz`);

describe.each(DIALECTS)('server start-up [%s]', (dialect) => {
  async function freshDatabase(): Promise<{ dataDir: string; env: NodeJS.ProcessEnv }> {
    const dataDir = mkdtempSync(join(tmpdir(), 'testbridge-start-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    if (dialect === 'sqlite') return { dataDir, env: {} };
    const store: TestStore = await createTestStore('postgres', { migrate: false });
    cleanups.push(() => store.cleanup());
    return { dataDir, env: { DATABASE_URL: store.location } };
  }

  it('migrates, creates the first admin once with a password printed to the console, and serves /healthz', async () => {
    const { dataDir, env } = await freshDatabase();
    const first = await start(dataDir, env);
    const res = await healthz(first.server);
    expect(res.status).toBe(200);
    const banner = first.out.text();
    expect(banner).toMatch(/={20,}/);
    expect(banner).toMatch(/username: admin/);
    const password = /password: (\S+)/.exec(banner)?.[1] ?? '';
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(first.logs.text()).toContain('Testbridge is listening');
    expect(first.logs.text()).not.toContain(password);

    const signIn = await fetch(`http://127.0.0.1:${first.server.port}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    expect(signIn.status).toBe(200);
    await first.server.close();
    await expect(first.server.store.ping()).rejects.toThrow();

    const second = await start(dataDir, env);
    expect(second.out.text()).toBe('');
    expect((await healthz(second.server)).status).toBe(200);
  });

  it('uses TESTBRIDGE_ADMIN_PASSWORD without printing it', async () => {
    const { dataDir, env } = await freshDatabase();
    const { server, out } = await start(dataDir, {
      ...env,
      TESTBRIDGE_ADMIN_PASSWORD: 'a-chosen-admin-password',
    });
    expect(out.text()).toMatch(/TESTBRIDGE_ADMIN_PASSWORD/);
    expect(out.text()).not.toContain('a-chosen-admin-password');
    const signIn = await fetch(`http://127.0.0.1:${server.port}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'a-chosen-admin-password' }),
    });
    expect(signIn.status).toBe(200);
  });

  it('stops with a clear error when started with another master key', async () => {
    const { dataDir, env } = await freshDatabase();
    const keyA = generateMasterKey();
    const a = await start(dataDir, { ...env, TESTBRIDGE_SECRET_KEY: keyA });
    await a.server.close();
    const err = await start(dataDir, { ...env, TESTBRIDGE_SECRET_KEY: generateMasterKey() }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('master_key_mismatch');
    expect((err as AppError).message).not.toContain(keyA);
    // The right key still works afterwards.
    const again = await start(dataDir, { ...env, TESTBRIDGE_SECRET_KEY: keyA });
    expect((await healthz(again.server)).status).toBe(200);
  });
});

describe('server start-up errors', () => {
  it('explains a port in use', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'testbridge-start-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const { server } = await start(dataDir, {});
    const err = await startServer(
      { port: server.port, host: '127.0.0.1', dataDir },
      { out: sink().stream, logDestination: sink().stream, handleSignals: false, env: {} },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('listen_failed');
    expect((err as AppError).hint).toMatch(/--port/);
  });

  it('explains a bad TESTBRIDGE_SECRET_KEY before touching the database', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'testbridge-start-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const err = await start(dataDir, { TESTBRIDGE_SECRET_KEY: 'too-short' }).catch((e: unknown) => e);
    expect((err as AppError).code).toBe('config_invalid');
    expect((err as AppError).hint).toMatch(/openssl rand -base64 32/);
  });
});
