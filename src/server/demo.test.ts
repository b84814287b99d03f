import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { demoBanner, parseDemoFlavor, startDemoJira } from './demo.js';

describe('demo mode', () => {
  it('defaults to the server flavour and refuses unknown ones with what to type', () => {
    expect(parseDemoFlavor(undefined)).toBe('server');
    expect(parseDemoFlavor('dc10')).toBe('dc10');
    try {
      parseDemoFlavor('jira7');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).hint).toContain('cloud|server|dc9|dc10');
    }
  });

  it('prints both addresses and both sign-ins', () => {
    const text = demoBanner({
      testbridgeUrl: 'http://localhost:8080',
      jira: { url: 'http://127.0.0.1:2990', flavor: 'server', stop: async () => {} },
      adminPassword: 'testbridge-demo',
    });
    expect(text).toContain('http://localhost:8080');
    expect(text).toContain('admin / testbridge-demo');
    expect(text).toContain('http://127.0.0.1:2990');
    expect(text).toContain('admin / admin');
  });

  it('runs jira-sim as a child process that answers, refuses a taken port, and stops', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const a = probe.address();
        probe.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
      });
    });
    const jira = await startDemoJira({ port, flavor: 'dc10', seedIssues: 5 });
    try {
      const info = (await (await fetch(`${jira.url}/rest/sim/1.0/info`)).json()) as { flavor: string };
      expect(info.flavor).toBe('dc10');
      await expect(startDemoJira({ port })).rejects.toMatchObject({ code: 'demo_port_in_use' });
    } finally {
      await jira.stop();
    }
    await expect(fetch(`${jira.url}/rest/sim/1.0/info`)).rejects.toThrow();
  }, 60_000);

  it('does not outlive a Testbridge that dies without stopping it (SIGKILL)', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const a = probe.address();
        probe.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
      });
    });
    const demo = fileURLToPath(new URL('./demo.ts', import.meta.url));
    const parent = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import(${JSON.stringify(demo)}).then((m) => m.startDemoJira({ port: ${port}, seedIssues: 1 })).then(() => console.log('ready'))`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      parent.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) resolve();
      });
      parent.once('exit', (code) => reject(new Error(`the parent exited early (${code})`)));
    });
    const url = `http://127.0.0.1:${port}/rest/sim/1.0/info`;
    expect((await fetch(url)).status).toBe(200);
    parent.kill('SIGKILL');
    // No cleanup code runs in a SIGKILLed parent: jira-sim must notice on its own.
    let gone = false;
    for (let i = 0; i < 60 && !gone; i++) {
      await new Promise((r) => setTimeout(r, 250));
      gone = await fetch(url).then(
        () => false,
        () => true,
      );
    }
    expect(gone).toBe(true);
  }, 60_000);
});
