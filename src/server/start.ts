import { serve } from '@hono/node-server';
import { loadConfig, type ConfigInput } from '../config/config.js';
import { createLogger } from '../log.js';
import { createApp } from './app.js';

/** Starts the server and wires graceful shutdown; resolves once it is listening. */
export async function startServer(input: ConfigInput): Promise<void> {
  const config = loadConfig(input);
  const logger = createLogger(config.logLevel);
  const app = createApp({ logger, checkDatabase: async () => {} });
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  logger.info(
    { port: config.port, publicUrl: config.publicUrl, dialect: config.dialect },
    'Testbridge is listening',
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close(() => process.exit(0));
    // Keep-alive connections can hold close() open; do not hang a deploy on them.
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
