import { AppError } from '../errors.js';
import {
  type AuthorizationResult,
  completeOAuth1Authorization,
  type OAuth1Options,
  startOAuth1Authorization,
} from './authorize-oauth1.js';
import {
  completeOAuth2Authorization,
  type OAuth2Options,
  startOAuth2Authorization,
} from './authorize-oauth2.js';
import type { ConnectionDeps } from './deps.js';
import { findPendingByLookup } from './pending.js';
import { getInstance } from './instances.js';

/**
 * Where Jira sends the browser back: OAuth 1.0a brings oauth_token + oauth_verifier, OAuth
 * 2.0 brings state + code (or error). Both complete the authorization by themselves.
 */
export async function handleOAuthCallback(
  deps: ConnectionDeps,
  params: URLSearchParams,
  actor: string | undefined,
  options: OAuth1Options & OAuth2Options = {},
): Promise<AuthorizationResult> {
  const oauthToken = params.get('oauth_token');
  if (oauthToken) {
    const verifier = params.get('oauth_verifier') ?? '';
    if (!verifier) {
      throw new AppError(
        'oauth_callback_invalid',
        'Jira sent the browser back without a verification code.',
        {
          hint: 'Start the authorization again; if it repeats, paste the verification code Jira shows instead.',
        },
      );
    }
    return completeOAuth1Authorization(
      deps,
      { requestToken: oauthToken, verifier, actor },
      options.fetch ? { fetch: options.fetch as typeof fetch } : {},
    );
  }
  if (params.get('state')) return completeOAuth2Authorization(deps, { params, actor }, options);
  throw new AppError('oauth_callback_invalid', 'This is not an OAuth callback from Jira.', {
    hint: 'Open the authorization URL Testbridge gave you; Jira sends the browser back here by itself.',
  });
}

/** The instance an OAuth callback belongs to, if Testbridge knows it (for the error page's link). */
export async function callbackInstanceId(
  deps: ConnectionDeps,
  params: URLSearchParams,
): Promise<string | undefined> {
  const lookup = params.get('oauth_token') ?? params.get('state');
  if (!lookup) return undefined;
  return (await findPendingByLookup(deps, lookup))?.instance_id;
}

export type AuthorizationStart =
  | ({ kind: 'oauth1' } & Awaited<ReturnType<typeof startOAuth1Authorization>>)
  | ({ kind: 'oauth2' } & Awaited<ReturnType<typeof startOAuth2Authorization>>);

/** Starts the authorization of whatever OAuth mode the instance uses. */
export async function startAuthorization(
  deps: ConnectionDeps,
  instanceId: string,
  input: { startedBy: string; oob?: boolean },
  options: OAuth1Options = {},
): Promise<AuthorizationStart> {
  const row = await getInstance(deps.store.db, instanceId);
  if (row.auth_mode === 'oauth1') {
    return { kind: 'oauth1', ...(await startOAuth1Authorization(deps, row.id, input, options)) };
  }
  if (row.auth_mode === 'oauth2-cloud' || row.auth_mode === 'oauth2-dc') {
    return { kind: 'oauth2', ...(await startOAuth2Authorization(deps, row.id, input)) };
  }
  throw new AppError(
    'jira_auth_mode_mismatch',
    `Jira instance "${row.name}" uses ${row.auth_mode}: nothing to authorize.`,
    {
      status: 409,
      hint: 'Personal access tokens and basic credentials work as entered; run the diagnostics to check them.',
    },
  );
}
