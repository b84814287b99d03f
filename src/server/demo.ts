/**
 * Demo mode (`testbridge serve --demo`): a simulated Jira beside Testbridge so a newcomer
 * can walk the whole connection (application link, OAuth, diagnostics, mapping, import,
 * live updates) without a Jira of their own. jira-sim runs as its own child process — the
 * product never imports the simulator — and stops with the server.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../errors.js';

export const DEMO_FLAVORS = ['cloud', 'server', 'dc9', 'dc10'] as const;
export type DemoFlavor = (typeof DEMO_FLAVORS)[number];
export const DEMO_JIRA_PORT = 2990;
/** Used only when the demo creates the first administrator and no password was configured. */
export const DEMO_ADMIN_PASSWORD = 'testbridge-demo';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export type DemoJira = { url: string; flavor: DemoFlavor; stop(): Promise<void> };

export function parseDemoFlavor(value: string | undefined): DemoFlavor {
  if (value === undefined || value === '') return 'server';
  if ((DEMO_FLAVORS as readonly string[]).includes(value)) return value as DemoFlavor;
  throw new AppError('invalid_demo_flavor', `Unknown demo Jira flavour "${value}".`, {
    status: 400,
    hint: `Use --demo-flavor ${DEMO_FLAVORS.join('|')} (server is the default).`,
  });
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/rest/sim/1.0/info`, { signal: AbortSignal.timeout(2_000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/** Starts jira-sim on 127.0.0.1:2990 and resolves once it answers its admin API. */
export async function startDemoJira(
  options: { flavor?: DemoFlavor; port?: number; seedIssues?: number; timeoutMs?: number } = {},
): Promise<DemoJira> {
  const flavor = options.flavor ?? 'server';
  const port = options.port ?? DEMO_JIRA_PORT;
  const url = `http://127.0.0.1:${port}`;
  const bin = join(ROOT, 'bin', 'jira-sim.mjs');
  if (!existsSync(bin)) {
    throw new AppError('demo_unavailable', 'Demo mode needs jira-sim, which is not in this installation.', {
      status: 500,
      hint: 'Run the demo from a source checkout of Testbridge (bin/jira-sim.mjs), or start without --demo.',
    });
  }
  if (await answers(url)) {
    throw new AppError('demo_port_in_use', `Something already answers on ${url}.`, {
      status: 500,
      hint: `Stop the other jira-sim (or whatever uses port ${port}), then start the demo again.`,
    });
  }
  const child: ChildProcess = spawn(
    process.execPath,
    [
      bin,
      '--port',
      String(port),
      '--flavor',
      flavor,
      '--seed-issues',
      String(options.seedIssues ?? 200),
      '--exit-with-parent',
    ],
    // stdin stays an open pipe for the child's whole life: when Testbridge dies without
    // stopping it (SIGKILL, a signal during start-up), the pipe closes and jira-sim exits.
    { cwd: ROOT, stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-2_000);
  });
  let exited = false;
  const exit = new Promise<void>((done) => child.once('exit', () => done()));
  void exit.then(() => {
    exited = true;
  });

  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const killLater = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exit;
    clearTimeout(killLater);
  };

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (!(await answers(url))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new AppError('demo_jira_failed', `The demo Jira (jira-sim) did not start on ${url}.`, {
        status: 500,
        hint: `${stderr.trim().split('\n').slice(-3).join(' ') || 'It printed nothing.'} Check that port ${port} is free.`,
      });
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, flavor, stop };
}

/** What a newcomer needs to start: both addresses and both sign-ins. */
export function demoBanner(input: {
  testbridgeUrl: string;
  jira: DemoJira;
  adminPassword: string | undefined;
}): string {
  const line = '='.repeat(72);
  const password = input.adminPassword ?? '(the one printed when this data directory was first started)';
  return [
    line,
    'Testbridge demo mode',
    '',
    `  Testbridge  ${input.testbridgeUrl}`,
    `              sign in as admin / ${password}`,
    `  Jira (sim)  ${input.jira.url}   (${input.jira.flavor}, 200 seeded issues)`,
    '              sign in as admin / admin',
    '',
    'Next: open Testbridge, sign in, choose Jira Integration, then "+ Add Jira instance"',
    `and enter ${input.jira.url} as the Jira address.`,
    line,
    '',
  ].join('\n');
}

/** Starts the demo Jira and prints where everything is (called by startServer). */
export async function startDemo(input: {
  config: { adminPassword?: string | undefined };
  url: string;
  flavor: DemoFlavor | undefined;
  out: NodeJS.WritableStream | undefined;
}): Promise<DemoJira> {
  const jira = await startDemoJira({ flavor: input.flavor });
  const adminPassword = input.config.adminPassword
    ? '(your TESTBRIDGE_ADMIN_PASSWORD)'
    : `${DEMO_ADMIN_PASSWORD}  (when this data directory was first started with --demo)`;
  (input.out ?? process.stdout).write(demoBanner({ testbridgeUrl: input.url, jira, adminPassword }));
  return jira;
}
