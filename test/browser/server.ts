import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startServer } from '../../src/server/start.js';

/** The real Testbridge, as `npm start` runs it, on 127.0.0.1 and a fresh data directory. */
export type RunningTestbridge = { url: string; port: number; logs: string[]; stop(): Promise<void> };

export async function startTestbridgeForBrowser(options: {
  adminPassword: string;
}): Promise<RunningTestbridge> {
  const dataDir = mkdtempSync(join(tmpdir(), 'testbridge-browser-'));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  try {
    // The public URL must be the real listen URL so Jira's OAuth callback and webhooks reach us.
    const port = await freePort();
    const server = await startServer(
      { port, host: '127.0.0.1', dataDir, publicUrl: `http://127.0.0.1:${port}` },
      {
        handleSignals: false,
        out: sink,
        logDestination: sink,
        // Only what a fresh deployment would have: no DATABASE_URL, no stray secrets.
        env: { TESTBRIDGE_ADMIN_PASSWORD: options.adminPassword, LOG_LEVEL: 'info' },
      },
    );
    return {
      url: `http://127.0.0.1:${server.port}`,
      port: server.port,
      logs,
      async stop() {
        await server.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
