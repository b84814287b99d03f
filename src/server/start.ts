import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { deleteExpiredSessions } from '../accounts/sessions.js';
import { ensureFirstAdmin, type FirstAdmin } from '../accounts/users.js';
import { type Config, type ConfigInput, loadConfig } from '../config/config.js';
import { AppError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { openStore, redactDatabaseUrl, type Store } from '../store/store.js';
import { loadMasterKey, Vault, verifyMasterKey } from '../store/vault.js';
import { startSyncScheduler } from '../sync/scheduler.js';
import { type SyncWorkers, startSyncWorkers } from '../sync/worker-runtime.js';
import { createApp } from './app.js';
import { DEMO_ADMIN_PASSWORD, type DemoFlavor, type DemoJira, startDemo } from './demo.js';

export type StartOptions = {
  /** Where the first admin's password is printed; the console by default. */
  out?: NodeJS.WritableStream;
  /** Log destination; stdout by default. */
  logDestination?: NodeJS.WritableStream;
  /** Install SIGTERM/SIGINT handlers that shut down and exit (off in tests). */
  handleSignals?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Demo mode's simulated Jira flavour (server by default). */
  demoFlavor?: DemoFlavor;
};

export type RunningServer = {
  config: Config;
  url: string;
  port: number;
  store: Store;
  vault: Vault;
  logger: Logger;
  /** Stops accepting requests, lets running ones finish, closes the database. */
  close(): Promise<void>;
};

/** Prints the generated password once, outside the JSON log so no log shipper keeps it. */
export function firstAdminBanner(admin: FirstAdmin): string {
  const line = '='.repeat(72);
  const lines = admin.generated
    ? [
        'Testbridge created the first administrator account.',
        '',
        `    username: ${admin.username}`,
        `    password: ${admin.password}`,
        '',
        'This password is shown ONLY ONCE. Sign in and change it, or set a new one',
        `with: testbridge users passwd ${admin.username}`,
      ]
    : [
        'Testbridge created the first administrator account.',
        '',
        `    username: ${admin.username}`,
        '    password: the value of TESTBRIDGE_ADMIN_PASSWORD',
      ];
  return `\n${line}\n${lines.map((l) => (l ? `  ${l}` : '')).join('\n')}\n${line}\n\n`;
}

/**
 * The one place that wires the product together:
 * config -> logger -> master key -> store -> migrate -> vault check -> first admin -> app
 * -> listen -> graceful shutdown.
 */
export async function startServer(input: ConfigInput, options: StartOptions = {}): Promise<RunningServer> {
  const config = loadConfig(input, options.env ?? process.env);
  const logger = createLogger(config.logLevel, options.logDestination);
  const masterKey = loadMasterKey(config);
  for (const w of masterKey.warnings) logger.warn(w);
  if (masterKey.created)
    logger.info({ path: masterKey.path }, 'created a new master key; back it up with the database');

  const store = await openStore({ databaseUrl: config.databaseUrl, dialect: config.dialect, logger });
  let server: ReturnType<typeof serve> | undefined;
  const vault = new Vault(masterKey);
  try {
    const applied = await store.migrate();
    if (applied.length > 0) logger.info({ migrations: applied }, 'database schema updated');
    await verifyMasterKey(store.db, vault);

    const admin = await ensureFirstAdmin(store.db, {
      password: config.adminPassword ?? (config.demo ? DEMO_ADMIN_PASSWORD : undefined),
    });
    // In demo mode the demo banner names the account and its password instead.
    if (admin && (config.adminPassword || !config.demo))
      (options.out ?? process.stdout).write(firstAdminBanner(admin));

    const app = createApp({ config, logger, store, vault });
    server = serve({ fetch: app.fetch, port: config.port, hostname: config.host });
    await new Promise<void>((resolve, reject) => {
      server?.once('listening', () => resolve());
      server?.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new AppError(
            'listen_failed',
            err.code === 'EADDRINUSE'
              ? `Port ${config.port} on ${config.host} is already in use.`
              : `Cannot listen on ${config.host}:${config.port} (${err.code ?? err.message}).`,
            {
              status: 500,
              hint: 'Stop the other process or choose another port with --port or PORT.',
              cause: err,
            },
          ),
        ),
      );
    });
  } catch (err) {
    server?.close();
    await store.close().catch(() => {});
    throw err;
  }
  const listening = server;
  const port = (listening.address() as AddressInfo).port;
  logger.info(
    {
      port,
      publicUrl: config.publicUrl,
      dialect: config.dialect,
      database: config.dialect === 'postgres' ? redactDatabaseUrl(config.databaseUrl) : config.databaseUrl,
      masterKey: { id: masterKey.id, source: masterKey.source },
    },
    'Testbridge is listening',
  );

  const sweep = setInterval(
    () => {
      deleteExpiredSessions(store.db).catch((err: unknown) => logger.warn({ err }, 'session cleanup failed'));
    },
    60 * 60 * 1000,
  );
  sweep.unref();
  const syncWorkers: SyncWorkers = startSyncWorkers(
    { config, logger, store, vault },
    { env: options.env ?? process.env },
  );
  const syncScheduler = startSyncScheduler({ config, logger, store, vault }, options.env ?? process.env);
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  let demoJira: DemoJira | undefined;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      clearInterval(sweep);
      await demoJira?.stop();
      await syncWorkers.stop();
      await syncScheduler.stop();
      await new Promise<void>((resolve) => {
        listening.close(() => resolve());
        // Idle keep-alive connections would hold close() open until they time out.
        if ('closeIdleConnections' in listening) listening.closeIdleConnections();
      });
      await store.close();
    })();
    return closing;
  };

  if (config.demo) {
    const demoUrl = `http://${shownHost}:${port}`;
    demoJira = await startDemo({ config, url: demoUrl, flavor: options.demoFlavor, out: options.out }).catch(
      async (err: unknown) => {
        await close();
        throw err;
      },
    );
  }

  if (options.handleSignals ?? true) {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      // A request that never ends must not hang a deploy.
      setTimeout(() => {
        logger.warn('requests still running after 10 s; exiting anyway');
        process.exit(1);
      }, 10_000).unref();
      close().then(
        () => {
          logger.info('stopped');
          process.exit(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  }

  return { config, url: `http://${shownHost}:${port}`, port, store, vault, logger, close };
}
