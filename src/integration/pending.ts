/**
 * Pending OAuth authorizations: the request-token secret (OAuth 1.0a) or the state and PKCE
 * verifier (OAuth 2.0) between "open this URL" and the callback. They live minutes, are
 * bound to whoever started them, work once, and are found by a hash of the token or state.
 */
import { createHash, randomUUID } from 'node:crypto';
import { AppError } from '../errors.js';
import type { JiraAuthorizationsTable } from '../store/schema.js';
import { type ConnectionDeps, isoNow, nowOf } from './deps.js';
import { openJson, sealJson } from './instances.js';

/** Jira's request tokens die after ten minutes; ours need not outlive them. */
export const PENDING_LIFETIME_MS = 10 * 60 * 1000;

export type PendingRow = JiraAuthorizationsTable;
export type PendingKind = 'oauth1' | 'oauth2';
export type PendingStatus = 'pending' | 'exchanging' | 'completed' | 'failed';

/** Who started an authorization: a signed-in administrator, or the CLI (an OS user). */
export const userActor = (userId: string) => `user:${userId}`;
export const cliActor = (name: string) => `cli:${name}`;

export const lookupHash = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');
const pendingContext = (id: string) => `jira_authorizations:${id}:request`;

export async function createPending<T>(
  deps: ConnectionDeps,
  input: {
    instanceId: string;
    kind: PendingKind;
    lookup: string;
    secret: T;
    callback: string;
    startedBy: string;
  },
): Promise<PendingRow> {
  const id = randomUUID();
  const now = nowOf(deps);
  const row: PendingRow = {
    id,
    instance_id: input.instanceId,
    kind: input.kind,
    lookup_hash: lookupHash(input.lookup),
    request_sealed: await sealJson(deps, input.secret, pendingContext(id)),
    callback: input.callback,
    started_by: input.startedBy,
    status: 'pending',
    error_json: null,
    created_at: new Date(now).toISOString(),
    expires_at: new Date(now + PENDING_LIFETIME_MS).toISOString(),
    completed_at: null,
  };
  // One authorization in flight per instance: an older unfinished one is void now.
  await deps.store.db
    .updateTable('jira_authorizations')
    .set({ status: 'failed', request_sealed: '', error_json: JSON.stringify(superseded()) })
    .where('instance_id', '=', input.instanceId)
    .where('status', '=', 'pending')
    .execute();
  await deps.store.db.insertInto('jira_authorizations').values(row).execute();
  // Expired rows are useless; drop them whenever a new one starts.
  await deps.store.db
    .deleteFrom('jira_authorizations')
    .where('expires_at', '<', new Date(now - 24 * 3600 * 1000).toISOString())
    .execute();
  return row;
}

const superseded = () => ({
  code: 'oauth_authorization_superseded',
  message: 'A newer authorization was started for this Jira instance.',
  hint: 'Use the most recent authorization URL.',
});

export const unknownAuthorization = () =>
  new AppError(
    'oauth_authorization_unknown',
    'This authorization is not known to Testbridge (it was never started here, was already used, or was replaced by a newer one).',
    {
      status: 400,
      hint: 'Start the authorization again from the Jira instance page (or `testbridge jira authorize`) and use the new URL.',
    },
  );

export const expiredAuthorization = () =>
  new AppError(
    'oauth_authorization_expired',
    'This authorization expired: it must be completed within 10 minutes.',
    {
      status: 410,
      hint: 'Start the authorization again and click Allow in Jira within 10 minutes.',
    },
  );

export async function findPendingByLookup(
  deps: ConnectionDeps,
  lookup: string,
): Promise<PendingRow | undefined> {
  return deps.store.db
    .selectFrom('jira_authorizations')
    .selectAll()
    .where('lookup_hash', '=', lookupHash(lookup))
    .executeTakeFirst();
}

export async function latestPending(
  deps: ConnectionDeps,
  instanceId: string,
  kind?: PendingKind,
): Promise<PendingRow | undefined> {
  let q = deps.store.db
    .selectFrom('jira_authorizations')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .orderBy('created_at', 'desc')
    .limit(1);
  if (kind) q = q.where('kind', '=', kind);
  return q.executeTakeFirst();
}

/**
 * Checks a pending authorization may be completed by `actor` and claims it atomically, so a
 * callback and a pasted code (or two callbacks) cannot both spend it. Returns the secret.
 */
export async function claimPending<T>(
  deps: ConnectionDeps,
  row: PendingRow | undefined,
  actor: string | undefined,
): Promise<{ row: PendingRow; secret: T }> {
  if (!row || row.status === 'completed' || row.request_sealed === '') throw unknownAuthorization();
  if (row.status === 'failed' && row.error_json) {
    const e = JSON.parse(row.error_json) as { code: string };
    if (e.code === 'oauth_authorization_superseded') throw unknownAuthorization();
  }
  if (Date.parse(row.expires_at) <= nowOf(deps)) throw expiredAuthorization();
  if (row.started_by.startsWith('user:') && actor !== row.started_by) {
    throw new AppError(
      'oauth_authorization_wrong_user',
      'This authorization was started by another Testbridge administrator (or this browser is not signed in to Testbridge).',
      {
        status: 403,
        hint: 'Sign in to Testbridge in this browser as the administrator who started it and open this link again, or paste the oauth_verifier value from this address as the verification code on the instance page; or start a new authorization yourself.',
      },
    );
  }
  const claimed = await deps.store.db
    .updateTable('jira_authorizations')
    .set({ status: 'exchanging' })
    .where('id', '=', row.id)
    .where('status', 'in', ['pending', 'failed'])
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) === 0) {
    throw new AppError('oauth_authorization_in_progress', 'This authorization is already being completed.', {
      status: 409,
      hint: 'Wait a moment and reload the Jira instance: it shows whether the authorization succeeded.',
    });
  }
  const secret = await openJson<T>(deps, row.request_sealed, pendingContext(row.id));
  return { row, secret };
}

export async function finishPending(
  deps: ConnectionDeps,
  id: string,
  outcome: { ok: true } | { ok: false; error: AppError },
): Promise<void> {
  // A failed exchange may be retried with a corrected code; a success spends the secret.
  const retryable =
    !outcome.ok && /verifier|permission_unknown|unreachable|timeout|jira_error/.test(outcome.error.code);
  await deps.store.db
    .updateTable('jira_authorizations')
    .set({
      status: outcome.ok ? 'completed' : 'failed',
      completed_at: isoNow(deps),
      ...(outcome.ok || !retryable ? { request_sealed: '' } : {}),
      error_json: outcome.ok
        ? null
        : JSON.stringify({
            code: outcome.error.code,
            message: outcome.error.message,
            hint: outcome.error.hint,
          }),
    })
    .where('id', '=', id)
    .execute();
}

/** What a waiting CLI sees: whether the running server's callback completed it. */
export async function pendingOutcome(
  deps: ConnectionDeps,
  id: string,
): Promise<{ status: PendingStatus; error?: { code: string; message: string; hint?: string } }> {
  const row = await deps.store.db
    .selectFrom('jira_authorizations')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) return { status: 'failed', error: unknownAuthorization().toBody().error };
  return {
    status: row.status as PendingStatus,
    ...(row.error_json ? { error: JSON.parse(row.error_json) } : {}),
  };
}
