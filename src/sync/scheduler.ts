/**
 * The sync's schedule, started with the server and stopped on SIGTERM: pending or interrupted
 * imports (resumed from their checkpoint) and reconciliation per mapping. (The webhook check
 * and the inbox worker run in worker-runtime.ts.)
 * Named leases in the database keep several instances on one PostgreSQL from running the
 * same mapping's import or reconcile twice; tests drive it with `runOnce()`.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { type SyncDeps, syncSettings } from '../integration/mappings-calls.js';
import type { Database } from '../store/schema.js';
import { runImport } from './import.js';
import { reconcileMapping } from './reconcile.js';

export type SchedulerOptions = {
  /** How often the loop looks at the mappings. */
  tickMs: number;
  /** A failed import is tried again (resuming) after this long. */
  importRetryDelayMs: number;
  /** Imports running at once (each pages through Jira; more only adds 429s). */
  maxConcurrentImports: number;
  /** Lease length; renewed while the work runs, so a crashed holder loses it within this. */
  leaseMs: number;
};

export const DEFAULT_SCHEDULER_OPTIONS: SchedulerOptions = {
  tickMs: 5_000,
  importRetryDelayMs: 60_000,
  maxConcurrentImports: 2,
  leaseMs: 2 * 60_000,
};

export type SchedulerReport = {
  importsStarted: string[];
  reconciled: string[];
  errors: { mappingId: string; what: string; message: string }[];
};

/** Takes or renews a lease; false while another holder's lease is still valid. */
export async function acquireLease(
  db: Kysely<Database>,
  name: string,
  holder: string,
  ms: number,
): Promise<boolean> {
  const now = new Date();
  const until = new Date(now.getTime() + ms).toISOString();
  const res = await db
    .insertInto('sync_leases')
    .values({ name, holder, until })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({ holder, until })
        .where((eb) =>
          eb.or([eb('sync_leases.until', '<', now.toISOString()), eb('sync_leases.holder', '=', holder)]),
        ),
    )
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function releaseLease(db: Kysely<Database>, name: string, holder: string): Promise<void> {
  await db.deleteFrom('sync_leases').where('name', '=', name).where('holder', '=', holder).execute();
}

export class SyncScheduler {
  readonly options: SchedulerOptions;
  readonly holder = `instance-${randomUUID()}`;
  private readonly imports = new Map<string, Promise<unknown>>();
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<SchedulerReport> | undefined;
  private stopped = true;

  constructor(
    private readonly deps: SyncDeps,
    options: Partial<SchedulerOptions> = {},
  ) {
    this.options = { ...DEFAULT_SCHEDULER_OPTIONS, ...options };
  }

  /** One pass over every mapping; with `waitForImports` it also waits for the imports it started. */
  async runOnce(options: { waitForImports?: boolean } = {}): Promise<SchedulerReport> {
    this.ticking ??= this.tick().finally(() => {
      this.ticking = undefined;
    });
    const report = await this.ticking;
    if (options.waitForImports) await Promise.allSettled([...this.imports.values()]);
    return report;
  }

  /** Starts a mapping's pending import now instead of at the next tick. */
  kick(mappingId: string): void {
    if (this.stopped) return;
    void this.startImport(mappingId);
  }

  /** Waits for running imports (tests). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.imports.values()]);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const loop = () => {
      if (this.stopped) return;
      this.runOnce()
        .catch((err: unknown) => this.deps.logger.warn({ err }, 'sync schedule pass failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.options.tickMs);
        });
    };
    loop();
  }

  /** Stops scheduling; running imports stop after their current page (the checkpoint stays). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    await this.ticking?.catch(() => {});
    await Promise.allSettled([...this.imports.values()]);
  }

  private async tick(): Promise<SchedulerReport> {
    const report: SchedulerReport = {
      importsStarted: [],
      reconciled: [],
      errors: [],
    };
    const db = this.deps.store.db;
    const settings = syncSettings(this.deps);
    const rows = await db
      .selectFrom('sync_mappings')
      .select(['id', 'state', 'import_state', 'updated_at', 'last_reconcile_at'])
      .where('state', '=', 'active')
      .orderBy('created_at')
      .execute();
    const now = Date.now();
    for (const row of rows) {
      if (this.abort.signal.aborted) break;
      const retryDue =
        row.import_state === 'failed' && now - Date.parse(row.updated_at) >= this.options.importRetryDelayMs;
      if (row.import_state === 'pending' || row.import_state === 'running' || retryDue) {
        if (await this.startImport(row.id)) report.importsStarted.push(row.id);
        continue;
      }
      if (row.import_state !== 'done') continue;
      const due =
        !row.last_reconcile_at || now - Date.parse(row.last_reconcile_at) >= settings.reconcileIntervalMs;
      if (!due) continue;
      const lease = `reconcile:${row.id}`;
      if (!(await acquireLease(db, lease, this.holder, this.options.leaseMs))) continue;
      try {
        await reconcileMapping(this.deps, row.id, { idScan: 'auto', signal: this.abort.signal });
        report.reconciled.push(row.id);
      } catch (err) {
        report.errors.push({
          mappingId: row.id,
          what: 'reconcile',
          message: err instanceof Error ? err.message : String(err),
        });
        this.deps.logger.warn({ mappingId: row.id, err }, 'reconcile failed');
      } finally {
        await releaseLease(db, lease, this.holder).catch(() => {});
      }
    }
    return report;
  }

  /** Runs the mapping's import in the background under a lease; false when not started. */
  private async startImport(mappingId: string): Promise<boolean> {
    if (this.imports.has(mappingId) || this.imports.size >= this.options.maxConcurrentImports) return false;
    const db = this.deps.store.db;
    const lease = `import:${mappingId}`;
    if (!(await acquireLease(db, lease, this.holder, this.options.leaseMs))) return false;
    const renew = setInterval(
      () => {
        acquireLease(db, lease, this.holder, this.options.leaseMs).catch(() => {});
      },
      Math.max(1_000, Math.floor(this.options.leaseMs / 3)),
    );
    renew.unref();
    const run = runImport(this.deps, mappingId, { signal: this.abort.signal })
      .then(async (progress) => {
        // Catch up at once on what changed while the import ran (from its start mark).
        if (progress.state === 'done' && !this.abort.signal.aborted)
          await reconcileMapping(this.deps, mappingId, { idScan: false, signal: this.abort.signal });
      })
      .catch((err: unknown) => {
        if (!this.abort.signal.aborted) this.deps.logger.warn({ mappingId, err }, 'import did not finish');
      })
      .finally(async () => {
        clearInterval(renew);
        this.imports.delete(mappingId);
        await releaseLease(db, lease, this.holder).catch(() => {});
      });
    this.imports.set(mappingId, run);
    return true;
  }
}

/** The scheduler of a running server, so routes can kick an import right after a mapping is created. */
const schedulers = new WeakMap<object, SyncScheduler>();
export const registerScheduler = (store: object, scheduler: SyncScheduler): void => {
  schedulers.set(store, scheduler);
};
export const schedulerFor = (store: object): SyncScheduler | undefined => schedulers.get(store);

function envMs(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/**
 * The server's scheduler, with intervals overridable by environment so operators and the
 * process-level tests can tune them: TESTBRIDGE_SYNC_TICK_MS, TESTBRIDGE_RECONCILE_INTERVAL_MS,
 * TESTBRIDGE_ID_SCAN_INTERVAL_MS, TESTBRIDGE_IMPORT_PAGE_SIZE, TESTBRIDGE_SYNC_LEASE_MS (how soon another
 * instance, or this one restarted after a crash, takes over a dead holder's import).
 */
export function startSyncScheduler(deps: SyncDeps, env: NodeJS.ProcessEnv = process.env): SyncScheduler {
  const reconcileIntervalMs = envMs(env, 'TESTBRIDGE_RECONCILE_INTERVAL_MS');
  const idScanIntervalMs = envMs(env, 'TESTBRIDGE_ID_SCAN_INTERVAL_MS');
  const importPageSize = envMs(env, 'TESTBRIDGE_IMPORT_PAGE_SIZE');
  const tickMs = envMs(env, 'TESTBRIDGE_SYNC_TICK_MS');
  const leaseMs = envMs(env, 'TESTBRIDGE_SYNC_LEASE_MS');
  const scheduler = new SyncScheduler(
    {
      ...deps,
      sync: {
        ...deps.sync,
        ...(reconcileIntervalMs !== undefined ? { reconcileIntervalMs } : {}),
        ...(idScanIntervalMs !== undefined ? { idScanIntervalMs } : {}),
        ...(importPageSize ? { importPageSize } : {}),
      },
    },
    { ...(tickMs ? { tickMs } : {}), ...(leaseMs ? { leaseMs } : {}) },
  );
  registerScheduler(deps.store, scheduler);
  scheduler.start();
  return scheduler;
}
