/**
 * `testbridge jira …` end to end against jira-sim without a browser: add, authorize (pasted
 * code, and waiting while a running server's callback completes it), show, list, diagnose,
 * remove, on the SQLite store the server would use.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JiraSim } from '../../jira-sim/src/server.js';
import { type CliIo, registerJira } from '../../src/cli/jira.js';
import { loadConfig } from '../../src/config/config.js';
import { createTestApp, type TestApp } from '../../src/server/testing.js';
import { openStore, type Store } from '../../src/store/store.js';
import { loadMasterKey, Vault } from '../../src/store/vault.js';
import { approveOAuth1, followCallback, simJson, startSim } from './connections-helpers.js';

type Run = { out: string; err: string; exitCode: number };

/** A write-only stream that hands each chunk to `take`. */
const sink = (take: (text: string) => void) =>
  ({
    write: (s: string) => {
      take(s);
      return true;
    },
  }) as unknown as NodeJS.WritableStream;

describe('testbridge jira (CLI) against jira-sim', () => {
  let dataDir: string;
  let sim: JiraSim;
  const env: NodeJS.ProcessEnv = {};
  const secrets: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'testbridge-cli-'));
    sim = await startSim({ flavor: 'dc9' });
    env.TESTBRIDGE_DATA_DIR = dataDir;
    env.TESTBRIDGE_PUBLIC_URL = 'http://localhost:8080';
  });
  afterAll(async () => {
    await sim?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function cli(args: string[], extra: Partial<CliIo> = {}): Promise<Run> {
    let out = '';
    let err = '';
    let exitCode = 0;
    const io: CliIo = {
      out: sink((s) => {
        out += s;
      }),
      err: sink((s) => {
        err += s;
      }),
      env,
      pollMs: 50,
      setExitCode: (code) => {
        exitCode = code;
      },
      ...extra,
    };
    const program = new Command('testbridge').exitOverride();
    registerJira(program, io);
    await program.parseAsync(['node', 'testbridge', 'jira', ...args]);
    return { out, err, exitCode };
  }

  let oauth1Id = '';

  it('adds an OAuth 1.0a instance and prints the application link values', async () => {
    const res = await cli([
      'add',
      '--name',
      'DC nine',
      '--jira-url',
      sim.url,
      '--auth',
      'oauth1',
      '--consumer-key',
      'tb-cli',
      '--json',
    ]);
    const body = JSON.parse(res.out) as {
      instance: { id: string; setupStep: string };
      applicationLink: { values: { publicKey: string; consumerKey: string }; detected: string };
    };
    oauth1Id = body.instance.id;
    expect(body.instance.setupStep).toBe('application-link');
    expect(body.applicationLink.detected).toBe('datacenter-9-plus');
    await simJson(sim, 'POST', '/application-links', {
      name: 'Testbridge',
      applicationUrl: 'http://localhost:8080',
      consumerKey: body.applicationLink.values.consumerKey,
      consumerName: 'Testbridge',
      publicKey: body.applicationLink.values.publicKey,
    });
    const text = await cli(['show', 'DC nine']);
    expect(text.out).toContain('Setup step:     application-link');
  });

  it('authorizes with a pasted verification code (oob, --no-wait then --verifier)', async () => {
    const start = await cli(['authorize', oauth1Id, '--oob', '--no-wait']);
    const url = /(http\S+oauth_token=\S+)/.exec(start.out)?.[1];
    expect(url, start.out).toBeTruthy();
    expect(start.out).toContain(`--verifier CODE`);
    const page = await approveOAuth1(sim, url!);
    const code = /id="verification-code">([^<]+)</.exec(page.html)![1]!;
    const done = await cli(['authorize', oauth1Id, '--verifier', `"${code}"`]);
    expect(done.out).toMatch(/Authorized\. Diagnostics:/);
    expect(done.out).toMatch(/PASS {2}Authentication: Testbridge acts in Jira as Administrator/);
    expect(done.exitCode).toBe(0);
  });

  it('waits for the callback that a running server receives and completes', async () => {
    // The server: same data directory, so the same SQLite file and master key.
    const config = loadConfig({}, env);
    const store: Store = await openStore({ databaseUrl: config.databaseUrl });
    const server: TestApp = await createTestApp({ store, vault: new Vault(loadMasterKey(config)), config });
    try {
      let printed = '';
      const waiting = cli(['authorize', oauth1Id], {
        out: sink((s) => {
          printed += s;
        }),
      });
      let url: string | undefined;
      for (let i = 0; i < 200 && !url; i++) {
        await new Promise((r) => setTimeout(r, 25));
        url = /(http\S+oauth_token=\S+)/.exec(printed)?.[1];
      }
      expect(url, printed).toBeTruthy();
      const approved = await approveOAuth1(sim, url!);
      // Started by the CLI: the browser needs no Testbridge session for the callback.
      const back = await followCallback(server.anonymous(), approved.location!);
      expect(back.status).toBe(302);
      await waiting;
      expect(printed).toMatch(/Waiting for Jira to call back http:\/\/localhost:8080\/oauth\/callback/);
      expect(printed).toMatch(/Authorized\./);
      const logs = server.logs.join('\n');
      expect(logs).not.toContain(new URL(approved.location!).searchParams.get('oauth_verifier')!);
    } finally {
      await server.close();
      await store.close();
    }
  });

  it('adds a PAT instance from an environment variable, lists, diagnoses and removes', async () => {
    const pat = await simJson<{ rawToken: string }>(sim, 'POST', '/pats', { user: 'developer', name: 'cli' });
    secrets.push(pat.rawToken);
    env.JIRA_PAT = pat.rawToken;
    const added = await cli([
      'add',
      '--name',
      'PAT one',
      '--jira-url',
      sim.url,
      '--auth',
      'pat',
      '--secret-env',
      'JIRA_PAT',
    ]);
    expect(added.out).toMatch(/Added Jira instance PAT one/);
    // developer lacks ADMINISTER: a warning, not a failure.
    expect(added.out).toMatch(/WARN {2}Automatic webhooks/);
    expect(added.exitCode).toBe(0);

    const list = await cli(['list', '--json']);
    const names = (JSON.parse(list.out) as { instances: { name: string }[] }).instances.map((i) => i.name);
    expect(names).toEqual(['DC nine', 'PAT one']);

    await simJson(sim, 'PUT', '/users/developer', { permissions: ['BROWSE_PROJECTS'] });
    const diag = await cli(['diagnose', 'PAT one']);
    expect(diag.out).toMatch(/FAIL {2}Jira permissions: .*lacks/);
    expect(diag.exitCode).toBe(1);

    await expect(cli(['remove', 'PAT one'])).rejects.toMatchObject({ code: 'cli_confirmation_required' });
    const removed = await cli(['remove', 'PAT one', '--yes']);
    expect(removed.out).toMatch(/Removed Jira instance PAT one/);
    await expect(cli(['show', 'PAT one'])).rejects.toMatchObject({ code: 'not_found' });
  });

  it('refuses a secret missing from the environment, without a stack trace', async () => {
    await expect(
      cli(['add', '--name', 'x', '--jira-url', sim.url, '--auth', 'pat', '--secret-env', 'NOT_SET_ANYWHERE']),
    ).rejects.toMatchObject({ code: 'cli_invalid_option' });
  });

  it('kept no secret in clear in the SQLite file', () => {
    const file = join(dataDir, 'testbridge.sqlite');
    const stored = [file, `${file}-wal`]
      .map((p) => {
        try {
          return readFileSync(p).toString('latin1');
        } catch {
          return '';
        }
      })
      .join('');
    expect(stored.length).toBeGreaterThan(1000);
    for (const s of secrets) expect(stored.includes(s)).toBe(false);
    expect(stored).not.toContain('BEGIN PRIVATE KEY');
  });
});
