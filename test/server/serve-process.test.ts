import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The real command (`npm start` runs `node bin/testbridge.mjs serve`) as a process: it
 * prints the first admin password, serves /healthz, and on SIGTERM stops cleanly.
 */
describe('testbridge serve as a process', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'testbridge-proc-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts, answers /healthz, and exits 0 on SIGTERM after closing the database', async () => {
    const child = spawn(
      process.execPath,
      ['bin/testbridge.mjs', 'serve', '--port', '0', '--host', '127.0.0.1'],
      {
        cwd: process.cwd(),
        env: { ...process.env, TESTBRIDGE_DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          const m = /"port":(\d+).*"msg":"Testbridge is listening"/.exec(stdout);
          if (m) resolve(Number(m[1]));
        });
        exited.then((code) => reject(new Error(`exited with ${code} before listening: ${stderr}${stdout}`)));
      });
      expect(stdout).toMatch(/={20,}\n {2}Testbridge created the first administrator account/);
      expect(stdout).toMatch(/password: [A-Za-z0-9_-]{24}\n/);
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(res.status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stdout).toContain('"msg":"stopped"');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
