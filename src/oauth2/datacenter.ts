import type { OAuth2Provider } from './flow.js';

/** WRITE covers reading and changing issues; webhooks need ADMIN on Jira Data Center. */
export const DATA_CENTER_SCOPES = ['ADMIN'] as const;

/**
 * Jira Data Center's own OAuth 2.0 provider (8.22+): endpoints under the instance's base
 * URL, PKCE S256 mandatory. Endpoints can be overridden (tests, unusual proxies).
 */
export function dataCenterProvider(
  baseUrl: string,
  overrides: { authorizationEndpoint?: string; tokenEndpoint?: string; scopes?: readonly string[] } = {},
): OAuth2Provider {
  const root = baseUrl.trim().replace(/\/+$/, '');
  return {
    name: 'Jira Data Center',
    authorizationEndpoint: overrides.authorizationEndpoint ?? `${root}/rest/oauth2/latest/authorize`,
    tokenEndpoint: overrides.tokenEndpoint ?? `${root}/rest/oauth2/latest/token`,
    pkce: true,
    authorizationParams: {},
    defaultScopes: overrides.scopes ?? DATA_CENTER_SCOPES,
  };
}
