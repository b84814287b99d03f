/**
 * `testbridge mappings list|show|import|reconcile`: the state of project mappings and the
 * sync's manual levers, on the configured store (same config as the server). Useful when the
 * UI is not reachable, and in scripts (`--json`).
 */
import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import type { SyncDeps } from '../integration/mappings-calls.js';
import { getMappingView, listMappings, type MappingView } from '../integration/mappings.js';
import { createLogger } from '../log.js';
import { openStore } from '../store/store.js';
import { loadMasterKey, Vault, verifyMasterKey } from '../store/vault.js';
import { runImport } from '../sync/import.js';
import { reconcileMapping } from '../sync/reconcile.js';

type Options = { dataDir?: string; databaseUrl?: string; json?: boolean };

async function withDeps<T>(opts: Options, fn: (deps: SyncDeps) => Promise<T>): Promise<T> {
  const config = loadConfig({ dataDir: opts.dataDir, databaseUrl: opts.databaseUrl });
  // Logs on stderr: stdout is the answer scripts parse.
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn', process.stderr);
  const key = loadMasterKey(config);
  const store = await openStore({ databaseUrl: config.databaseUrl, dialect: config.dialect, logger });
  try {
    await store.migrate();
    const vault = new Vault(key);
    await verifyMasterKey(store.db, vault);
    return await fn({ store, vault, logger, config });
  } finally {
    await store.close();
  }
}

function describe(v: MappingView): string {
  const h = v.health;
  const imp = h.import;
  const calls = Object.entries(h.jiraApiCalls.byReason)
    .map(([r, c]) => `${r} ${c.calls}${c.rateLimited ? ` (${c.rateLimited} rate-limited)` : ''}`)
    .join(', ');
  return [
    `${v.projectKey} <- ${v.jiraProject.key} (${v.jiraProject.name})  mapping ${v.id}`,
    `  state:      ${v.state}${v.alert ? ` - ${v.alert}` : ''}`,
    `  webhook:    ${h.webhook.mode}, ${h.webhook.state}${h.webhook.expiresAt ? `, expires ${h.webhook.expiresAt}` : ''}${h.webhook.error ? ` - ${h.webhook.error}` : ''}`,
    `  deliveries: last ${h.lastDeliveryAt ?? 'never'}; inbox ${h.inbox.depth} waiting, ${h.inbox.parked} parked`,
    `  import:     ${imp.state} ${imp.done}/${imp.total ?? '?'}${imp.ratePerSecond ? `, ${imp.ratePerSecond}/s` : ''}${imp.etaSeconds ? `, ETA ${imp.etaSeconds}s` : ''}${imp.error ? ` - ${imp.error}` : ''}`,
    `  reconcile:  last ${h.reconcile.lastAt ?? 'never'}, drift ${h.reconcile.drift ?? '-'}`,
    `  Jira calls: ${h.jiraApiCalls.total}${calls ? ` (${calls})` : ''}`,
  ].join('\n');
}

const print = (opts: Options, value: unknown, text: string) =>
  process.stdout.write(`${opts.json ? JSON.stringify(value, null, 2) : text}\n`);

export function registerMappings(program: Command): void {
  const cmd = program.command('mappings').description('project mappings: state, health and sync levers');
  const common = (c: Command) =>
    c
      .option('--data-dir <dir>', 'where the SQLite file and the master key live (env TESTBRIDGE_DATA_DIR)')
      .option('--database-url <url>', 'postgres://… for PostgreSQL (env DATABASE_URL); default SQLite')
      .option('--json', 'print JSON instead of text');

  common(cmd.command('list <instance>').description('mappings of a Jira instance (id or name)')).action(
    async (instance: string, opts: Options) =>
      withDeps(opts, async (deps) => {
        const list = await listMappings(deps, instance);
        print(opts, list, list.length ? list.map(describe).join('\n\n') : 'No mappings on this instance.');
      }),
  );
  common(cmd.command('show <id>').description('one mapping with its health')).action(
    async (id: string, opts: Options) =>
      withDeps(opts, async (deps) => {
        const v = await getMappingView(deps, id);
        print(opts, v, describe(v));
      }),
  );
  common(cmd.command('import <id>').description('run or resume the full import now, with progress')).action(
    async (id: string, opts: Options) =>
      withDeps(opts, async (deps) => {
        const p = await runImport(deps, id, {
          onProgress: (x) => {
            if (!opts.json) process.stderr.write(`\r${x.done}/${x.total ?? '?'} issues`);
          },
        });
        if (!opts.json) process.stderr.write('\n');
        print(opts, p, `import ${p.state}: ${p.done}/${p.total ?? '?'} issues`);
      }),
  );
  common(cmd.command('reconcile <id>').description('compare with Jira now (changes and the id scan)')).action(
    async (id: string, opts: Options) =>
      withDeps(opts, async (deps) => {
        const r = await reconcileMapping(deps, id, { idScan: true });
        print(
          opts,
          r,
          `checked ${r.checked} changed issues; repaired ${r.drift} differences${r.error ? `; ${r.error}` : ''}`,
        );
      }),
  );
}
