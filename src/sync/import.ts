/**
 * The full import of a mapped Jira project: paged through the search API of the Jira flavour
 * (Cloud /search/jql with tokens, Server/DC /search with offsets) with the largest page Jira
 * allows, one page in memory at a time, a checkpoint after every applied page so a crash or
 * restart resumes where it stopped, and backoff on 429/5xx beyond what the client retries.
 */
import type { Updateable } from 'kysely';
import { AppError } from '../errors.js';
import type { JiraClient } from '../jira/index.js';
import { isJiraApiError, type SearchPage } from '../jira/index.js';
import { realSleep } from '../jira/retry.js';
import { countedClient, type SyncDeps, syncSettings } from '../integration/mappings-calls.js';
import {
  findMappingRow,
  type Mapping,
  mappingFromRow,
  mappingJql,
  requireMappingRow,
} from '../integration/mappings-model.js';
import type { SyncMappingsTable } from '../store/schema.js';
import {
  type ApplyIssueOutcome,
  applyIssueBatch,
  applyProjectVersions,
  normalizeJiraTime,
  searchFieldsFor,
} from './apply.js';

export type ImportState = 'pending' | 'running' | 'done' | 'failed';

export type ImportCursor = { startAt?: number; nextPageToken?: string };

export type ImportCounts = Partial<Record<ApplyIssueOutcome, number>>;

export type ImportProgress = {
  state: ImportState;
  done: number;
  total: number | null;
  /** Issues per second in the current (or last) run. */
  ratePerSecond: number | null;
  etaSeconds: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  counts: ImportCounts;
};

type StoredCounts = { counts: ImportCounts; runStartedAt?: string; runDone?: number; ratePerSecond?: number };

/** Server/DC serves up to 1000 issues a page; Cloud's enhanced search up to 100 with fields (5000 ids only). */
export const PAGE_SIZE = { server: 1000, cloud: 100, cloudIdsOnly: 5000 } as const;
const APPLY_CHUNK = 250;

const issueTypeList = (types: string[]) => types.map((t) => `"${t.replace(/["\\]/g, '\\$&')}"`).join(', ');

/** The mapping's synced issues: its project, its requirement and defect types, its extra filter. */
export function scopeJql(
  mapping: Pick<Mapping, 'jiraProjectId' | 'extraJql' | 'requirementTypes' | 'defectTypes'>,
): string {
  const types = [...mapping.requirementTypes, ...mapping.defectTypes];
  const base = mappingJql(mapping);
  return types.length ? `${base} AND issuetype in (${issueTypeList(types)})` : base;
}

function parseJson<T>(text: string | null, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export function progressOf(row: {
  import_state: string;
  import_done: number;
  import_total: number | null;
  import_started_at: string | null;
  import_finished_at: string | null;
  import_error: string | null;
  import_counts: string | null;
}): ImportProgress {
  const stored = parseJson<StoredCounts>(row.import_counts, { counts: {} });
  const done = Number(row.import_done);
  const total = row.import_total === null ? null : Number(row.import_total);
  const rate = stored.ratePerSecond ?? null;
  const eta =
    row.import_state === 'running' && rate && total !== null
      ? Math.max(0, Math.round((total - done) / rate))
      : null;
  return {
    state: row.import_state as ImportState,
    done,
    total,
    ratePerSecond: rate === null ? null : Math.round(rate * 10) / 10,
    etaSeconds: row.import_state === 'done' ? 0 : eta,
    startedAt: row.import_started_at,
    finishedAt: row.import_finished_at,
    error: row.import_error,
    counts: stored.counts,
  };
}

/** Worth another try later: rate limits, Jira unavailable, network trouble. */
function transient(err: unknown): boolean {
  if (!isJiraApiError(err)) return false;
  return (
    err.code === 'jira_rate_limited' ||
    err.code === 'jira_unavailable' ||
    err.code === 'jira_server_error' ||
    err.code === 'jira_unreachable' ||
    err.code === 'jira_timeout'
  );
}

function describe(err: unknown): string {
  if (err instanceof AppError) return err.hint ? `${err.message} ${err.hint}` : err.message;
  return 'The import failed unexpectedly; see the server log.';
}

export type ImportOptions = {
  signal?: AbortSignal;
  /** Start over even if a previous import finished. */
  restart?: boolean;
  onProgress?: (p: ImportProgress) => void;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
};

/** Jira's clock now (the reconcile watermark must be in Jira's time, not ours). */
export async function jiraNow(client: JiraClient, reason: string): Promise<string> {
  try {
    const info = await client.serverInfo({ reason });
    const t = normalizeJiraTime(info.serverTime);
    if (t) return t;
  } catch (err) {
    if (!transient(err)) throw err;
  }
  return new Date().toISOString();
}

/**
 * Runs (or resumes) the mapping's import to completion, or until `signal` aborts (the
 * checkpoint stays, the next run resumes). Resolves with the progress; a failure is stored on
 * the mapping (state `failed`, with the reason) and also thrown.
 */
export async function runImport(
  deps: SyncDeps,
  mappingId: string,
  options: ImportOptions = {},
): Promise<ImportProgress> {
  const db = deps.store.db;
  const settings = syncSettings(deps);
  const sleep = options.sleep ?? realSleep;
  let row = await requireMappingRow(db, mappingId);
  const mapping = mappingFromRow(row);
  if (mapping.state === 'suspended') {
    throw new AppError(
      'mapping_suspended',
      `Mapping ${mappingId} is suspended: ${mapping.alert ?? 'its Jira project is gone'}.`,
      {
        status: 409,
        hint: 'Remove the mapping or map the project to an existing Jira project.',
      },
    );
  }
  if (row.import_state === 'done' && !options.restart) return progressOf(row);

  const { client, counter } = await countedClient(deps, mapping, 'import');
  const now = () => new Date().toISOString();
  const fresh =
    options.restart ||
    row.import_state === 'pending' ||
    (row.import_cursor === null && Number(row.import_done) === 0);
  let cursor: ImportCursor | undefined = fresh
    ? undefined
    : parseJson<ImportCursor | undefined>(row.import_cursor, undefined);
  const stored = fresh ? { counts: {} } : parseJson<StoredCounts>(row.import_counts, { counts: {} });
  const counts: ImportCounts = { ...stored.counts };
  let done = fresh ? 0 : Number(row.import_done);
  let total: number | null = fresh ? null : row.import_total === null ? null : Number(row.import_total);
  const runStarted = Date.now();
  const runStartDone = done;

  const save = async (patch: Updateable<SyncMappingsTable>) => {
    await db.updateTable('sync_mappings').set(patch).where('id', '=', mappingId).execute();
  };
  const rate = () => {
    const secs = (Date.now() - runStarted) / 1000;
    return secs > 0 && done > runStartDone ? (done - runStartDone) / secs : undefined;
  };
  const storedCounts = (): string => {
    const r = rate();
    return JSON.stringify({
      counts,
      runStartedAt: new Date(runStarted).toISOString(),
      ...(r ? { ratePerSecond: r } : {}),
    });
  };
  const report = async () => {
    row = (await findMappingRow(db, mappingId)) ?? row;
    if (row) options.onProgress?.(progressOf(row));
  };

  try {
    await save({
      import_state: 'running',
      import_error: null,
      ...(fresh
        ? {
            import_started_at: now(),
            import_finished_at: null,
            import_done: 0,
            import_total: null,
            import_cursor: null,
            import_counts: storedCounts(),
          }
        : {}),
      updated_at: now(),
    });
    const deployment = await retryingDeployment(
      client,
      settings.importMaxAttempts,
      settings.importRetryBaseMs,
      sleep,
      options.signal,
    );
    const jql = `${scopeJql(mapping)} ORDER BY id ASC`;
    const fields = searchFieldsFor(mapping);

    // The steps before paging are retried like pages: a 429 storm must not fail the import.
    const retrying = async <T>(step: () => Promise<T>): Promise<T> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await step();
        } catch (err) {
          if (options.signal?.aborted || !transient(err) || attempt >= settings.importMaxAttempts) throw err;
          await counter.flush();
          await sleep(backoffFor(err, attempt, settings.importRetryBaseMs), options.signal);
        }
      }
    };
    if (fresh) {
      // Updates made while the import runs are caught by the first reconcile from this mark.
      const mark = await retrying(() => jiraNow(client, 'import'));
      await save({ watermark: mark, updated_at: now() });
      const versions = await retrying(() =>
        client.projectVersions(mapping.jiraProjectId, { reason: 'import' }),
      );
      await applyProjectVersions(db, mapping, versions);
    }
    if (total === null && deployment.cloud) {
      // Cloud's token paging has no total; an ids-only pass (5000 a page) is the cheap count.
      total = await retrying(async () => {
        let n = 0;
        for await (const page of client.searchPages(scopeJql(mapping), {
          fields: ['id', 'key'],
          pageSize: PAGE_SIZE.cloudIdsOnly,
          reason: 'import',
          ...(options.signal ? { signal: options.signal } : {}),
        }))
          n += page.issues.length;
        return n;
      });
      await save({ import_total: total });
    }
    await counter.flush();

    let attempts = 0;
    let restartedStaleToken = false;
    for (;;) {
      try {
        const pages = client.searchPages(jql, {
          fields,
          pageSize: settings.importPageSize ?? (deployment.cloud ? PAGE_SIZE.cloud : PAGE_SIZE.server),
          reason: 'import',
          ...(cursor ? { resumeFrom: cursor } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        // One page ahead: Jira answers the next page while this one is written (two pages
        // in memory at most, so memory stays bounded).
        const iterator = pages[Symbol.asyncIterator]();
        let ahead = iterator.next();
        for (;;) {
          const step = await ahead;
          if (step.done) break;
          const page = step.value;
          ahead = iterator.next();
          // Surfaces at the next await; without this a failure during our writes is "unhandled".
          ahead.catch(() => {});
          await applyPage(deps, mapping, page, counts);
          done += page.issues.length;
          if (!deployment.cloud && page.total !== undefined) total = Math.max(page.total, done);
          if (total !== null && done > total) total = done;
          cursor = nextCursor(page, deployment.cloud);
          await save({
            import_cursor: cursor ? JSON.stringify(cursor) : null,
            import_done: done,
            import_total: total,
            import_counts: storedCounts(),
            updated_at: now(),
          });
          await counter.flush();
          attempts = 0;
          await report();
          if (options.signal?.aborted) return progressOf((await findMappingRow(db, mappingId)) ?? row);
          if (!cursor) break;
        }
        break;
      } catch (err) {
        if (options.signal?.aborted) throw err;
        await counter.flush();
        // A Cloud page token can expire while we were down: start the paging over (idempotent).
        if (cursor?.nextPageToken && isJiraApiError(err, 'jira_bad_request') && !restartedStaleToken) {
          restartedStaleToken = true;
          cursor = undefined;
          done = 0;
          continue;
        }
        if (!transient(err) || ++attempts >= settings.importMaxAttempts) throw err;
        deps.logger.warn(
          { mappingId, attempts, code: (err as AppError).code },
          'import page failed; backing off',
        );
        await sleep(backoffFor(err, attempts, settings.importRetryBaseMs), options.signal);
      }
    }
    await save({
      import_state: 'done',
      import_cursor: null,
      import_done: done,
      import_total: Math.max(total ?? done, done),
      import_finished_at: now(),
      import_counts: storedCounts(),
      updated_at: now(),
    });
    await counter.flush();
    await report();
    deps.logger.info({ mappingId, done, counts }, 'import finished');
    return progressOf((await findMappingRow(db, mappingId)) ?? row);
  } catch (err) {
    await counter.flush().catch(() => {});
    if (!options.signal?.aborted) {
      await save({
        import_state: 'failed',
        import_error: describe(err),
        import_counts: storedCounts(),
        updated_at: now(),
      }).catch(() => {});
      deps.logger.warn({ mappingId, err }, 'import failed');
    }
    throw err;
  } finally {
    await client.close().catch(() => {});
  }
}

/** Exponential backoff, capped at a minute, never shorter than Jira's Retry-After. */
function backoffFor(err: unknown, attempt: number, baseMs: number): number {
  const retryAfter = isJiraApiError(err) ? err.retryAfterMs : undefined;
  return Math.max(Math.min(60_000, baseMs * 2 ** (attempt - 1)), retryAfter ?? 0);
}

async function retryingDeployment(
  client: JiraClient,
  maxAttempts: number,
  baseMs: number,
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>,
  signal: AbortSignal | undefined,
) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.deployment();
    } catch (err) {
      if (signal?.aborted || !transient(err) || attempt >= maxAttempts) throw err;
      await sleep(backoffFor(err, attempt, baseMs), signal);
    }
  }
}

function nextCursor(page: SearchPage, cloud: boolean): ImportCursor | undefined {
  if (cloud) return page.nextPageToken ? { nextPageToken: page.nextPageToken } : undefined;
  const start = page.startAt ?? 0;
  const next = start + page.issues.length;
  if (page.issues.length === 0 || (page.total !== undefined && next >= page.total)) return undefined;
  return { startAt: next };
}

/** Applies a page in a few transactions: fewer commits, and the receiver is never blocked for long. */
async function applyPage(
  deps: SyncDeps,
  mapping: Mapping,
  page: SearchPage,
  counts: ImportCounts,
): Promise<void> {
  for (let i = 0; i < page.issues.length; i += APPLY_CHUNK) {
    const chunk = page.issues.slice(i, i + APPLY_CHUNK);
    await deps.store.db.transaction().execute(async (trx) => {
      // Jira's search just listed them: authoritative, like the id scan.
      for (const outcome of await applyIssueBatch(trx, mapping, chunk, { revive: true }))
        counts[outcome] = (counts[outcome] ?? 0) + 1;
    });
  }
}
