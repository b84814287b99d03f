/**
 * An authenticated JiraClient for a stored instance, whatever its auth mode. OAuth 2.0
 * token managers are shared per instance within the process so refreshes stay single-flight,
 * and every rotated refresh token is stored (sealed, one statement) before it is used.
 */
import { AppError } from '../errors.js';
import {
  basicAuth,
  isJiraApiError,
  type JiraAuth,
  type JiraCallEvent,
  JiraClient,
  type JiraClientOptions,
  oauth1Auth,
  oauth2Auth,
  patAuth,
} from '../jira/index.js';
import { readPrivateKey } from '../keys/index.js';
import {
  atlassianCloudProvider,
  cloudApiBaseUrl,
  dataCenterProvider,
  isOAuth2Error,
  type OAuth2ClientCredentials,
  type OAuth2Provider,
  OAuth2TokenManager,
  refreshTokens,
  type TokenSet,
} from '../oauth2/index.js';
import type { ConnectionDeps } from './deps.js';
import {
  type AuthFacts,
  authFactsOf,
  deploymentOf,
  findInstance,
  getInstance,
  type InstanceRow,
  openCredentials,
  openProxyUrl,
  openTokens,
  setStatus,
  storeTokens,
  tokenManagerCache,
} from './instances.js';

export type JiraClientForOptions = {
  onCall?: (event: JiraCallEvent) => void;
  /** Default reason reported with each call (e.g. "reconcile", "diagnostics"). */
  reason?: string;
  timeoutMs?: number;
  /** Extra transport options (tests: fetch, retry policy). */
  transport?: Partial<Pick<JiraClientOptions, 'fetch' | 'retry' | 'sleep'>>;
};

/** Testbridge's OAuth callback: OAuth 1.0a and 2.0 both come back here. */
export const callbackUrl = (deps: Pick<ConnectionDeps, 'config'>): string =>
  `${deps.config.publicUrl.replace(/\/+$/, '')}/oauth/callback`;

/** The OAuth 2.0 provider of an instance: Atlassian 3LO, or the Data Center's own. */
export function oauth2ProviderFor(row: InstanceRow, facts: AuthFacts): OAuth2Provider {
  if (facts.mode === 'oauth2-cloud') {
    const e = facts.endpoints ?? {};
    return atlassianCloudProvider({
      ...(e.authorizationEndpoint ? { authorizationEndpoint: e.authorizationEndpoint } : {}),
      ...(e.tokenEndpoint ? { tokenEndpoint: e.tokenEndpoint } : {}),
    });
  }
  if (facts.mode === 'oauth2-dc') {
    // The browser opens the authorize page at Jira's own address; Testbridge calls the token
    // endpoint where it reaches Jira (the two differ behind a reverse proxy).
    return dataCenterProvider(row.jira_url, {
      authorizationEndpoint: `${row.base_url}/rest/oauth2/latest/authorize`,
      ...(facts.scopes?.length ? { scopes: facts.scopes } : {}),
    });
  }
  throw new AppError('jira_auth_mode_mismatch', `Jira instance "${row.name}" does not use OAuth 2.0.`, {
    status: 409,
    hint: 'Use the authorization flow of its auth mode.',
  });
}

export async function oauth2ClientCredentials(
  deps: ConnectionDeps,
  row: InstanceRow,
): Promise<OAuth2ClientCredentials> {
  const facts = authFactsOf(row);
  const credentials = await openCredentials(deps, row);
  if (credentials.mode !== 'oauth2-cloud' && credentials.mode !== 'oauth2-dc') {
    throw new AppError('jira_auth_mode_mismatch', `Jira instance "${row.name}" does not use OAuth 2.0.`, {
      status: 409,
      hint: 'Use the authorization flow of its auth mode.',
    });
  }
  return {
    clientId: facts.mode === 'oauth2-cloud' || facts.mode === 'oauth2-dc' ? facts.clientId : '',
    clientSecret: credentials.clientSecret,
    redirectUri: callbackUrl(deps),
  };
}

const notAuthorized = (row: InstanceRow) =>
  new AppError('jira_instance_not_authorized', `Jira instance "${row.name}" has not been authorized yet.`, {
    status: 409,
    hint: `Authorize it first: POST /api/jira/instances/${row.id}/authorize (or \`testbridge jira authorize ${row.id}\`).`,
  });

async function oauth2Manager(deps: ConnectionDeps, row: InstanceRow): Promise<OAuth2TokenManager> {
  const cache = tokenManagerCache(deps);
  const cached = cache.get(row.id);
  if (cached && cached.version === row.tokens_version) return cached.manager as OAuth2TokenManager;

  const tokens = await openTokens(deps, row);
  if (tokens?.mode !== 'oauth2') throw notAuthorized(row);
  const provider = oauth2ProviderFor(row, authFactsOf(row));
  const creds = await oauth2ClientCredentials(deps, row);
  const entry = { version: row.tokens_version, manager: undefined as unknown };
  const initial: TokenSet = {
    accessToken: tokens.accessToken,
    ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
    ...(tokens.expiresAt !== undefined ? { expiresAt: tokens.expiresAt } : {}),
    ...(tokens.scope ? { scope: tokens.scope } : {}),
  };
  const manager = new OAuth2TokenManager({
    initial,
    now: deps.now ?? Date.now,
    refresh: async (refreshToken) => {
      // Another process (the CLI next to the server) may have refreshed already; its
      // rotation spent our refresh token, so adopt its tokens instead of failing.
      const latest = await findInstance(deps, row.id);
      if (latest && latest.tokens_version !== entry.version) {
        const stored = await openTokens(deps, latest);
        if (stored?.mode === 'oauth2' && stored.refreshToken && stored.refreshToken !== refreshToken) {
          entry.version = latest.tokens_version;
          return {
            accessToken: stored.accessToken,
            refreshToken: stored.refreshToken,
            ...(stored.expiresAt !== undefined ? { expiresAt: stored.expiresAt } : {}),
          };
        }
      }
      try {
        return await refreshTokens(provider, creds, refreshToken, {
          ...(deps.now ? { now: deps.now } : {}),
        });
      } catch (e) {
        if (isOAuth2Error(e, 'oauth2_reauthorization_required')) {
          await setStatus(deps, row.id, 'needs_reauthorization', e.message);
          deps.logger.warn(
            { instanceId: row.id, code: e.code },
            'OAuth 2.0 refresh refused; re-authorization needed',
          );
        }
        throw e;
      }
    },
    persist: async (next) => {
      const version = await storeTokens(
        deps,
        row.id,
        {
          mode: 'oauth2',
          accessToken: next.accessToken,
          ...(next.refreshToken ? { refreshToken: next.refreshToken } : {}),
          ...(next.expiresAt !== undefined ? { expiresAt: next.expiresAt } : {}),
          ...(next.scope ? { scope: next.scope } : {}),
        },
        next.expiresAt !== undefined ? new Date(next.expiresAt).toISOString() : null,
      );
      entry.version = version;
      deps.logger.info({ instanceId: row.id }, 'OAuth 2.0 tokens refreshed and stored');
    },
  });
  entry.manager = manager;
  cache.set(row.id, entry);
  return manager;
}

async function authFor(
  deps: ConnectionDeps,
  row: InstanceRow,
): Promise<{ auth: JiraAuth; apiBaseUrl?: string }> {
  const facts = authFactsOf(row);
  switch (row.auth_mode) {
    case 'oauth1': {
      const credentials = await openCredentials(deps, row);
      const tokens = await openTokens(deps, row);
      if (credentials.mode !== 'oauth1' || facts.mode !== 'oauth1') throw notAuthorized(row);
      if (tokens?.mode !== 'oauth1') throw notAuthorized(row);
      return {
        auth: oauth1Auth({
          consumerKey: facts.consumerKey,
          privateKey: readPrivateKey(credentials.privateKeyPem).key,
          accessToken: tokens.accessToken,
        }),
      };
    }
    case 'oauth2-cloud': {
      if (facts.mode !== 'oauth2-cloud' || !facts.cloudId) throw notAuthorized(row);
      const manager = await oauth2Manager(deps, row);
      return {
        auth: oauth2Auth(manager),
        apiBaseUrl: cloudApiBaseUrl(facts.cloudId, facts.endpoints?.apiGateway),
      };
    }
    case 'oauth2-dc':
      return { auth: oauth2Auth(await oauth2Manager(deps, row)) };
    case 'pat': {
      const credentials = await openCredentials(deps, row);
      if (credentials.mode !== 'pat') throw notAuthorized(row);
      return { auth: patAuth({ token: credentials.token }) };
    }
    case 'basic': {
      const credentials = await openCredentials(deps, row);
      if (credentials.mode !== 'basic' || facts.mode !== 'basic') throw notAuthorized(row);
      return { auth: basicAuth({ username: facts.username, password: credentials.password }) };
    }
  }
}

/** The JiraClient options for an instance (also used by diagnostics to add its own hooks). */
export async function clientOptionsFor(
  deps: ConnectionDeps,
  row: InstanceRow,
  options: JiraClientForOptions = {},
): Promise<JiraClientOptions> {
  const { auth, apiBaseUrl } = await authFor(deps, row);
  const proxyUrl = await openProxyUrl(deps, row);
  const deployment = deploymentOf(row);
  return {
    jiraUrl: row.jira_url,
    ...(apiBaseUrl ? { apiBaseUrl } : {}),
    // OAuth 1.0a signs against Jira's own base URL; through the Cloud gateway it is not Jira's.
    ...(row.auth_mode === 'oauth1' && row.base_url !== row.jira_url ? { baseUrl: row.base_url } : {}),
    auth,
    network: {
      ...(proxyUrl ? { proxyUrl } : {}),
      tls: { rejectUnauthorized: row.tls_verify === 1, ...(row.ca_pem ? { caPem: row.ca_pem } : {}) },
    },
    ...(deployment ? { deployment } : {}),
    ...(options.onCall ? { onCall: options.onCall } : {}),
    ...(options.reason ? { reason: options.reason } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.transport ?? {}),
  };
}

/**
 * An authenticated JiraClient for an instance. Call `close()` when done if the instance uses
 * a proxy or custom CA (it owns a connection pool then).
 */
export async function jiraClientFor(
  deps: ConnectionDeps,
  instanceId: string,
  options: JiraClientForOptions = {},
): Promise<JiraClient> {
  const row = await getInstance(deps.store.db, instanceId);
  const client = new JiraClient(await clientOptionsFor(deps, row, options));
  watchRejections(deps, row, client);
  return client;
}

/** oauth_problem values that mean the stored OAuth 1.0a token is dead, not a passing glitch. */
const DEAD_TOKEN = new Set(['token_rejected', 'token_expired', 'token_revoked']);

/**
 * Keeps the instance status honest between diagnostics: when Jira refuses the stored OAuth
 * 1.0a token (revoked, expired) or the PAT/password during normal use, the instance shows it
 * at once. OAuth 2.0 marks itself when its refresh is refused (see oauth2Manager).
 */
function watchRejections(deps: ConnectionDeps, row: InstanceRow, client: JiraClient): void {
  if (row.auth_mode === 'oauth2-cloud' || row.auth_mode === 'oauth2-dc') return;
  const transport = client.transport;
  const request = transport.request.bind(transport);
  transport.request = (async (req: Parameters<typeof request>[0]) => {
    try {
      return await request(req);
    } catch (e) {
      if (isJiraApiError(e, 'jira_unauthorized')) {
        const problem =
          (e as { authProblem?: string }).authProblem ??
          e.jiraMessages.map((m) => /^(?:oauth_problem=)?([a-z_]+)$/.exec(m)?.[1]).find(Boolean);
        if (row.auth_mode === 'oauth1' && problem && DEAD_TOKEN.has(problem)) {
          await setStatus(deps, row.id, 'needs_reauthorization', e.message, {
            setup_step: 'authorize',
          }).catch(() => {});
          deps.logger.warn(
            { instanceId: row.id, problem },
            'Jira refused the OAuth 1.0a token; re-authorization needed',
          );
        } else if (row.auth_mode === 'pat' || row.auth_mode === 'basic') {
          await setStatus(deps, row.id, 'failing', e.message, { setup_step: 'credentials' }).catch(() => {});
          deps.logger.warn({ instanceId: row.id }, 'Jira refused the stored credentials');
        }
      }
      throw e;
    }
  }) as typeof transport.request;
}
