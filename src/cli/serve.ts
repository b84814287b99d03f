import { parseDemoFlavor } from '../server/demo.js';
import type { Command } from 'commander';
import { startServer } from '../server/start.js';

export function registerServe(program: Command): void {
  program
    .command('serve', { isDefault: true })
    .description('run the Testbridge server')
    .option('-p, --port <port>', 'port to listen on (env PORT, default 8080)')
    .option('--host <host>', 'address to bind (env HOST, default 0.0.0.0)')
    .option(
      '--public-url <url>',
      'address Jira and browsers use to reach Testbridge (env TESTBRIDGE_PUBLIC_URL)',
    )
    .option('--data-dir <dir>', 'where the SQLite file and the master key live (env TESTBRIDGE_DATA_DIR)')
    .option('--database-url <url>', 'postgres://… for PostgreSQL (env DATABASE_URL); default SQLite')
    .option(
      '--trust-proxy',
      'behind a reverse proxy: take client addresses from X-Forwarded-For (env TESTBRIDGE_TRUST_PROXY)',
    )
    .option('--demo', 'also start a simulated Jira (jira-sim) with a seeded project')
    .option('--demo-flavor <flavor>', 'demo Jira: server (default), cloud, dc9 or dc10')
    .action(
      async (opts: {
        port?: string;
        host?: string;
        publicUrl?: string;
        dataDir?: string;
        databaseUrl?: string;
        demo?: boolean;
        demoFlavor?: string;
        trustProxy?: boolean;
      }) => {
        await startServer(
          {
            port: opts.port,
            host: opts.host,
            publicUrl: opts.publicUrl,
            dataDir: opts.dataDir,
            databaseUrl: opts.databaseUrl,
            demo: opts.demo,
            trustProxy: opts.trustProxy,
          },
          { demoFlavor: parseDemoFlavor(opts.demoFlavor) },
        );
      },
    );
}
