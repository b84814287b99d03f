/**
 * The sync's background work in a running server: the inbox worker, and the webhook check
 * on start-up and then on a schedule. Intervals come from the sync settings, overridable by
 * environment (TESTBRIDGE_INBOX_POLL_MS, TESTBRIDGE_WEBHOOK_CHECK_INTERVAL_MS) so tests and
 * operators can tune them without code.
 */
import { type SyncDeps, syncSettings } from '../integration/mappings-calls.js';
import { checkWebhooks } from '../integration/webhooks.js';
import { InboxWorker, type WorkerOptions } from './worker.js';

export type SyncWorkers = {
  inbox: InboxWorker;
  /** Runs the webhook check now (also what the schedule does). */
  checkWebhooksNow(): Promise<void>;
  stop(): Promise<void>;
};

function envMs(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

export function startSyncWorkers(
  deps: SyncDeps,
  options: { env?: NodeJS.ProcessEnv; worker?: Partial<WorkerOptions>; checkOnStart?: boolean } = {},
): SyncWorkers {
  const env = options.env ?? process.env;
  const pollMs = envMs(env, 'TESTBRIDGE_INBOX_POLL_MS');
  const inbox = new InboxWorker(deps, { ...(pollMs !== undefined ? { pollMs } : {}), ...options.worker });
  inbox.start();

  const checkEvery =
    envMs(env, 'TESTBRIDGE_WEBHOOK_CHECK_INTERVAL_MS') ?? syncSettings(deps).webhookCheckIntervalMs;
  let checking: Promise<void> | undefined;
  const checkWebhooksNow = () => {
    checking ??= checkWebhooks(deps)
      .then(
        (results) => {
          const changed = results.filter((r) => r.action !== 'unchanged');
          if (changed.length > 0) deps.logger.info({ webhooks: changed }, 'Jira webhooks checked');
        },
        (err: unknown) => deps.logger.warn({ err }, 'Jira webhook check failed'),
      )
      .finally(() => {
        checking = undefined;
      });
    return checking;
  };
  if (options.checkOnStart ?? true) void checkWebhooksNow();
  const timer = checkEvery > 0 ? setInterval(() => void checkWebhooksNow(), checkEvery) : undefined;
  timer?.unref();

  return {
    inbox,
    checkWebhooksNow,
    async stop() {
      if (timer) clearInterval(timer);
      await inbox.stop();
      await checking;
    },
  };
}
