/**
 * The OAuth 1.0a wizard's confirm and approve steps: fetch a request token (which is the
 * real test of the application link: a wrong consumer key, public key, base URL or clock
 * shows up here as Jira's own error, translated), then trade the verifier from the callback
 * or the pasted code for an access token, seal it, and run the diagnostics.
 */
import { AppError } from '../errors.js';
import { createDispatcher } from '../jira/index.js';
import type { FetchInit } from '../jira/transport.js';
import { readPrivateKey } from '../keys/index.js';
import {
  getAccessToken,
  getRequestToken,
  type JiraOAuth1Config,
  OAuthProblemError,
} from '../oauth1/index.js';
import { callbackUrl } from './connection-client.js';
import { type ConnectionDeps, isoNow, nowOf } from './deps.js';
import { runDiagnostics } from './diagnostics/run.js';
import type { DiagnosticsReport } from './diagnostics/types.js';
import {
  authFactsOf,
  getInstance,
  type InstanceRow,
  openCredentials,
  openProxyUrl,
  setStatus,
  storeTokens,
} from './instances.js';
import {
  claimPending,
  createPending,
  findPendingByLookup,
  finishPending,
  latestPending,
  PENDING_LIFETIME_MS,
} from './pending.js';

export type OAuth1Start = {
  instanceId: string;
  authorizationId: string;
  authorizationUrl: string;
  /** Testbridge's callback URL, or "oob" when Jira is to show a code to paste. */
  callback: string;
  callbackConfirmed: boolean;
  expiresAt: string;
  next: string;
};

export type AuthorizationResult = {
  instanceId: string;
  authorized: true;
  diagnostics: DiagnosticsReport;
};

type OAuth1Secret = { requestToken: string; tokenSecret: string };

export type OAuth1Options = {
  /** Tests: where the Jira OAuth endpoints are fetched through. */
  fetch?: typeof fetch;
};

async function flowConfig(
  deps: ConnectionDeps,
  row: InstanceRow,
  options: OAuth1Options,
): Promise<{ config: JiraOAuth1Config; close: () => Promise<void> }> {
  const facts = authFactsOf(row);
  const credentials = await openCredentials(deps, row);
  if (facts.mode !== 'oauth1' || credentials.mode !== 'oauth1') {
    throw new AppError(
      'jira_auth_mode_mismatch',
      `Jira instance "${row.name}" uses ${row.auth_mode}, not OAuth 1.0a.`,
      { status: 409, hint: 'Use the authorization of its auth mode, or change the auth mode to oauth1.' },
    );
  }
  const proxyUrl = await openProxyUrl(deps, row);
  const dispatcher = createDispatcher({
    ...(proxyUrl ? { proxyUrl } : {}),
    tls: { rejectUnauthorized: row.tls_verify === 1, ...(row.ca_pem ? { caPem: row.ca_pem } : {}) },
  });
  const base = options.fetch ?? fetch;
  const viaDispatcher: typeof fetch = dispatcher
    ? (input, init) => base(input, { ...(init ?? {}), dispatcher } as FetchInit as RequestInit)
    : base;
  return {
    config: {
      jiraUrl: row.jira_url,
      ...(row.base_url !== row.jira_url ? { signingBaseUrl: row.base_url } : {}),
      consumerKey: facts.consumerKey,
      privateKey: readPrivateKey(credentials.privateKeyPem).key,
      fetch: viaDispatcher,
      ...(deps.now ? { clock: deps.now } : {}),
    },
    close: async () => {
      await dispatcher?.close();
    },
  };
}

/**
 * Step 3 (confirm): asks Jira for a request token. Success: the URL to open and Allow.
 * Failure: Jira's refusal, translated (unknown consumer key, key mismatch, base URL, clock).
 */
export async function startOAuth1Authorization(
  deps: ConnectionDeps,
  instanceId: string,
  input: { startedBy: string; oob?: boolean },
  options: OAuth1Options = {},
): Promise<OAuth1Start> {
  const row = await getInstance(deps.store.db, instanceId);
  const { config, close } = await flowConfig(deps, row, options);
  const callback = input.oob ? 'oob' : callbackUrl(deps);
  let token: Awaited<ReturnType<typeof getRequestToken>>;
  try {
    token = await getRequestToken(config, { callback });
  } catch (e) {
    if (e instanceof AppError) {
      // Kept on the instance so the admin who comes back later sees why it stopped.
      await setStatus(deps, row.id, row.status === 'setup' ? 'setup' : (row.status as 'failing'), e.message, {
        setup_step: row.tokens_sealed ? row.setup_step : 'application-link',
      });
      deps.logger.warn(
        {
          instanceId: row.id,
          code: e.code,
          ...(e instanceof OAuthProblemError ? { problem: e.problem } : {}),
        },
        'Jira refused the OAuth 1.0a request token',
      );
    }
    throw e;
  } finally {
    await close();
  }
  const pending = await createPending<OAuth1Secret>(deps, {
    instanceId: row.id,
    kind: 'oauth1',
    lookup: token.token,
    secret: { requestToken: token.token, tokenSecret: token.tokenSecret },
    callback,
    startedBy: input.startedBy,
  });
  await setStatus(
    deps,
    row.id,
    row.status === 'needs_reauthorization' ? 'needs_reauthorization' : 'setup',
    null,
    {
      setup_step: 'authorize',
    },
  );
  deps.logger.info({ instanceId: row.id, authorizationId: pending.id }, 'OAuth 1.0a request token obtained');
  return {
    instanceId: row.id,
    authorizationId: pending.id,
    authorizationUrl: token.authorizationUrl,
    callback,
    callbackConfirmed: token.callbackConfirmed,
    expiresAt: new Date(nowOf(deps) + PENDING_LIFETIME_MS).toISOString(),
    next:
      callback === 'oob'
        ? 'Open the authorization URL, log in to Jira as the integration user, click Allow, and enter the verification code Jira shows.'
        : 'Open the authorization URL, log in to Jira as the integration user and click Allow; Jira sends you back to Testbridge, which completes the connection.',
  };
}

/**
 * Step 4-5: the verifier arrives (callback with the request token, or pasted for an
 * instance); exchange it, seal the access token, run the diagnostics.
 */
export async function completeOAuth1Authorization(
  deps: ConnectionDeps,
  input: { requestToken?: string; instanceId?: string; verifier: string; actor: string | undefined },
  options: OAuth1Options = {},
): Promise<AuthorizationResult> {
  const found = input.requestToken
    ? await findPendingByLookup(deps, input.requestToken)
    : input.instanceId
      ? await latestPending(deps, (await getInstance(deps.store.db, input.instanceId)).id, 'oauth1')
      : undefined;
  if (found && found.kind !== 'oauth1') {
    throw new AppError('oauth_authorization_unknown', 'The pending authorization is not an OAuth 1.0a one.', {
      hint: 'Start the authorization again.',
    });
  }
  const { row: pending, secret } = await claimPending<OAuth1Secret>(deps, found, input.actor);
  if (input.requestToken !== undefined && input.requestToken !== secret.requestToken) {
    await finishPending(deps, pending.id, {
      ok: false,
      error: new AppError('oauth_authorization_unknown', ''),
    });
    throw new AppError('oauth_authorization_unknown', 'The request token does not match.', {
      hint: 'Start the authorization again.',
    });
  }
  const verifier = input.verifier.trim();
  if (verifier === 'denied') {
    const error = new AppError('oauth1_permission_denied', 'Access was denied in Jira (Deny was clicked).', {
      hint: 'Start the authorization again, log in to Jira as the integration user and click Allow.',
    });
    await finishPending(deps, pending.id, { ok: false, error });
    throw error;
  }
  const row = await getInstance(deps.store.db, pending.instance_id);
  const { config, close } = await flowConfig(deps, row, options);
  try {
    const access = await getAccessToken(config, { requestToken: secret.requestToken, verifier });
    const expiresAt =
      access.expiresIn !== undefined ? new Date(nowOf(deps) + access.expiresIn * 1000).toISOString() : null;
    await storeTokens(
      deps,
      row.id,
      {
        mode: 'oauth1',
        accessToken: access.token,
        tokenSecret: access.tokenSecret,
        ...(access.sessionHandle ? { sessionHandle: access.sessionHandle } : {}),
      },
      expiresAt,
    );
    await finishPending(deps, pending.id, { ok: true });
  } catch (e) {
    if (e instanceof AppError) await finishPending(deps, pending.id, { ok: false, error: e });
    else
      await finishPending(deps, pending.id, { ok: false, error: new AppError('internal_error', 'failed') });
    throw e;
  } finally {
    await close();
  }
  await setStatus(deps, row.id, 'setup', null, { setup_step: 'diagnostics', updated_at: isoNow(deps) });
  deps.logger.info({ instanceId: row.id }, 'OAuth 1.0a access token obtained and sealed');
  const diagnostics = await runDiagnostics(deps, row.id);
  return { instanceId: row.id, authorized: true, diagnostics };
}
