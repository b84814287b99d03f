import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../src/cli.js';

const BIN = fileURLToPath(new URL('../../bin/jira-sim.mjs', import.meta.url));

function run(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitFor(
  output: () => string,
  pattern: RegExp,
  exited: Promise<number | null>,
): Promise<RegExpExecArray> {
  let done = false;
  void exited.then(() => {
    done = true;
  });
  for (;;) {
    const match = pattern.exec(output());
    if (match) return match;
    if (done) throw new Error(`jira-sim exited before printing ${pattern}: ${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('jira-sim command', () => {
  it('prints what it serves and the users, serves it, and stops cleanly on SIGTERM', async () => {
    const sim = run([
      '--port',
      '0',
      '--flavor',
      'dc10',
      '--context-path',
      '/jira',
      '--base-url',
      'https://jira.example.com/jira',
    ]);
    try {
      const [, url] = await waitFor(
        sim.output,
        /listening on (http:\/\/127\.0\.0\.1:\d+\/jira)\n/,
        sim.exited,
      );
      await waitFor(sim.output, /noperms \/ noperms/, sim.exited);
      expect(sim.output()).toContain('admin / admin');
      expect(sim.output()).toContain('base URL:            https://jira.example.com/jira');
      const info = (await (await fetch(`${url}/rest/api/2/serverInfo`)).json()) as {
        deploymentType: string;
        baseUrl: string;
      };
      expect(info).toMatchObject({ deploymentType: 'DataCenter', baseUrl: 'https://jira.example.com/jira' });
      sim.child.kill('SIGTERM');
      expect(await sim.exited).toBe(0);
    } finally {
      sim.child.kill('SIGKILL');
    }
  });

  it('prints Cloud API tokens for the Cloud flavour', async () => {
    const sim = run(['--port', '0', '--flavor', 'cloud']);
    try {
      await waitFor(sim.output, /noperms \/ noperms/, sim.exited);
      expect(sim.output()).toMatch(/admin@example\.com {2}API token ATATT3x[0-9a-f]{40}/);
      expect(sim.output()).toMatch(/ex\/jira\/[0-9a-f-]{36}/);
      sim.child.kill('SIGTERM');
      expect(await sim.exited).toBe(0);
    } finally {
      sim.child.kill('SIGKILL');
    }
  });

  it('exits with an error and a clear message on bad options', async () => {
    const flavor = run(['--flavor', 'mainframe']);
    expect(await flavor.exited).not.toBe(0);
    expect(flavor.output()).toContain('cloud, server, dc9, dc10');
    const baseUrl = run(['--port', '0', '--base-url', 'jira.example.com']);
    expect(await baseUrl.exited).toBe(2);
    expect(baseUrl.output()).toContain('is not a URL');
  });

  it('reads clock offsets in human units', () => {
    expect(parseDuration('600000')).toBe(600_000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('-90s')).toBe(-90_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(() => parseDuration('soon')).toThrow(/milliseconds/);
  });
});
