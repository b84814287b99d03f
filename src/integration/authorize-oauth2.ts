/**
 * OAuth 2.0 authorization for an instance: Atlassian Cloud 3LO (offline_access, cloud id
 * from accessible-resources) and Jira Data Center (PKCE). State and PKCE verifier are kept
 * sealed server-side, bound to the admin who started, and spent by the one callback.
 */
import { AppError } from '../errors.js';
import {
  accessibleResources,
  createAuthorization,
  exchangeCode,
  findCloudSite,
  type FetchLike,
} from '../oauth2/index.js';
import { oauth2ClientCredentials, oauth2ProviderFor } from './connection-client.js';
import type { ConnectionDeps } from './deps.js';
import { runDiagnostics } from './diagnostics/run.js';
import type { AuthorizationResult } from './authorize-oauth1.js';
import { authFactsOf, forgetTokenManager, getInstance, setStatus, storeTokens } from './instances.js';
import {
  claimPending,
  createPending,
  findPendingByLookup,
  finishPending,
  PENDING_LIFETIME_MS,
} from './pending.js';

export type OAuth2Start = {
  instanceId: string;
  authorizationId: string;
  authorizationUrl: string;
  callback: string;
  expiresAt: string;
  next: string;
};

type OAuth2Secret = { state: string; codeVerifier?: string };

export type OAuth2Options = { fetch?: FetchLike };

export async function startOAuth2Authorization(
  deps: ConnectionDeps,
  instanceId: string,
  input: { startedBy: string },
): Promise<OAuth2Start> {
  const row = await getInstance(deps.store.db, instanceId);
  const facts = authFactsOf(row);
  const provider = oauth2ProviderFor(row, facts);
  const creds = await oauth2ClientCredentials(deps, row);
  const scopes = facts.mode === 'oauth2-cloud' || facts.mode === 'oauth2-dc' ? facts.scopes : undefined;
  const pendingAuth = await createAuthorization(provider, creds, scopes?.length ? { scopes } : {});
  const pending = await createPending<OAuth2Secret>(deps, {
    instanceId: row.id,
    kind: 'oauth2',
    lookup: pendingAuth.state,
    secret: {
      state: pendingAuth.state,
      ...(pendingAuth.codeVerifier ? { codeVerifier: pendingAuth.codeVerifier } : {}),
    },
    callback: creds.redirectUri,
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
  deps.logger.info({ instanceId: row.id, authorizationId: pending.id }, 'OAuth 2.0 authorization started');
  return {
    instanceId: row.id,
    authorizationId: pending.id,
    authorizationUrl: pendingAuth.url,
    callback: creds.redirectUri,
    expiresAt: new Date(Date.parse(pending.created_at) + PENDING_LIFETIME_MS).toISOString(),
    next: `Open the authorization URL, log in as the integration user and accept; ${provider.name} sends you back to Testbridge at ${creds.redirectUri}, which completes the connection.`,
  };
}

/** The callback: check state, exchange the code, find the Cloud site, seal tokens, diagnose. */
export async function completeOAuth2Authorization(
  deps: ConnectionDeps,
  input: { params: URLSearchParams; actor: string | undefined },
  options: OAuth2Options = {},
): Promise<AuthorizationResult> {
  const state = input.params.get('state') ?? '';
  if (!state) {
    throw new AppError('oauth_callback_invalid', 'The authorization callback carries no state.', {
      hint: 'Start the authorization again from Testbridge; do not open the callback URL by hand.',
    });
  }
  const found = await findPendingByLookup(deps, state);
  const { row: pending, secret } = await claimPending<OAuth2Secret>(deps, found, input.actor);
  const row = await getInstance(deps.store.db, pending.instance_id);
  const facts = authFactsOf(row);
  try {
    const provider = oauth2ProviderFor(row, facts);
    const creds = await oauth2ClientCredentials(deps, row);
    const transport = {
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(deps.now ? { now: deps.now } : {}),
    };
    const tokens = await exchangeCode(
      provider,
      creds,
      {
        callbackParams: input.params,
        expectedState: secret.state,
        ...(secret.codeVerifier ? { codeVerifier: secret.codeVerifier } : {}),
      },
      transport,
    );
    if (facts.mode === 'oauth2-cloud') {
      const sites = await accessibleResources(tokens.accessToken, {
        ...(facts.endpoints?.accessibleResourcesEndpoint
          ? { endpoint: facts.endpoints.accessibleResourcesEndpoint }
          : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      });
      const site = findCloudSite(sites, row.base_url);
      await deps.store.db
        .updateTable('jira_instances')
        .set({
          auth_json: JSON.stringify({
            ...facts,
            cloudId: site.id,
            siteUrl: site.url,
            ...(tokens.scope ? { grantedScope: tokens.scope } : {}),
          }),
        })
        .where('id', '=', row.id)
        .execute();
    } else if (facts.mode === 'oauth2-dc' && tokens.scope) {
      await deps.store.db
        .updateTable('jira_instances')
        .set({ auth_json: JSON.stringify({ ...facts, grantedScope: tokens.scope }) })
        .where('id', '=', row.id)
        .execute();
    }
    await storeTokens(
      deps,
      row.id,
      {
        mode: 'oauth2',
        accessToken: tokens.accessToken,
        ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
        ...(tokens.expiresAt !== undefined ? { expiresAt: tokens.expiresAt } : {}),
        ...(tokens.scope ? { scope: tokens.scope } : {}),
      },
      tokens.expiresAt !== undefined ? new Date(tokens.expiresAt).toISOString() : null,
    );
    forgetTokenManager(deps, row.id);
    await finishPending(deps, pending.id, { ok: true });
  } catch (e) {
    await finishPending(deps, pending.id, {
      ok: false,
      error: e instanceof AppError ? e : new AppError('internal_error', 'The authorization failed.'),
    });
    if (e instanceof AppError) {
      deps.logger.warn({ instanceId: row.id, code: e.code }, 'OAuth 2.0 authorization failed');
    }
    throw e;
  }
  await setStatus(deps, row.id, 'setup', null, { setup_step: 'diagnostics' });
  deps.logger.info({ instanceId: row.id }, 'OAuth 2.0 tokens obtained and sealed');
  const diagnostics = await runDiagnostics(deps, row.id);
  return { instanceId: row.id, authorized: true, diagnostics };
}
