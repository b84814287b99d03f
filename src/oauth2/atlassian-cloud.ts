import { z } from 'zod';
import { OAuth2Error } from './errors.js';
import { type FetchLike, isLoopbackHost, type OAuth2Provider, translateOAuth2Failure } from './flow.js';

/** Scopes Testbridge needs on Jira Cloud; offline_access is what yields refresh tokens. */
export const CLOUD_SCOPES = [
  'offline_access',
  'read:jira-work',
  'write:jira-work',
  'read:jira-user',
  'manage:jira-webhook',
  'manage:jira-project',
] as const;

export type CloudEndpoints = {
  authorizationEndpoint: string;
  tokenEndpoint: string;
  accessibleResourcesEndpoint: string;
  /** Root of the API gateway; a site's API is at `{apiGateway}/ex/jira/{cloudId}`. */
  apiGateway: string;
};

export const ATLASSIAN_CLOUD_ENDPOINTS: CloudEndpoints = {
  authorizationEndpoint: 'https://auth.atlassian.com/authorize',
  tokenEndpoint: 'https://auth.atlassian.com/oauth/token',
  accessibleResourcesEndpoint: 'https://api.atlassian.com/oauth/token/accessible-resources',
  apiGateway: 'https://api.atlassian.com',
};

/** Atlassian Cloud 3LO. Endpoints are overridable so tests can point them at jira-sim. */
export function atlassianCloudProvider(endpoints: Partial<CloudEndpoints> = {}): OAuth2Provider {
  const e = { ...ATLASSIAN_CLOUD_ENDPOINTS, ...endpoints };
  return {
    name: 'Atlassian',
    authorizationEndpoint: e.authorizationEndpoint,
    tokenEndpoint: e.tokenEndpoint,
    pkce: false,
    // prompt=consent: Atlassian only re-issues a refresh token when the consent screen is shown.
    authorizationParams: { audience: 'api.atlassian.com', prompt: 'consent' },
    defaultScopes: CLOUD_SCOPES,
  };
}

const resourcesSchema = z.array(
  z.looseObject({
    id: z.string(),
    url: z.string(),
    name: z.string().optional(),
    scopes: z.array(z.string()).optional(),
    avatarUrl: z.string().optional(),
  }),
);
export type CloudSite = z.infer<typeof resourcesSchema>[number];

/** The Jira sites the access token can reach (Atlassian's accessible-resources). */
export async function accessibleResources(
  accessToken: string,
  options: { endpoint?: string; fetch?: FetchLike; timeoutMs?: number } = {},
): Promise<CloudSite[]> {
  const provider = atlassianCloudProvider();
  const endpoint = new URL(options.endpoint ?? ATLASSIAN_CLOUD_ENDPOINTS.accessibleResourcesEndpoint);
  if (endpoint.protocol !== 'https:' && !isLoopbackHost(endpoint.hostname)) {
    throw new OAuth2Error('oauth2_insecure_url', 'The accessible-resources URL must use https://.', {
      hint: 'Use https://api.atlassian.com/oauth/token/accessible-resources.',
    });
  }
  const fetchImpl = options.fetch ?? globalThis.fetch;
  let response: Response;
  let text: string;
  try {
    response = await fetchImpl(endpoint, {
      headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' },
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    text = await response.text();
  } catch (e) {
    throw translateOAuth2Failure(e, provider, endpoint.host, 'refresh');
  }
  if (response.status === 401) {
    throw new OAuth2Error(
      'oauth2_reauthorization_required',
      'Atlassian did not accept the access token when listing sites.',
      {
        hint: 'Authorize the connection again.',
        status: 400,
      },
    );
  }
  if (!response.ok) {
    throw new OAuth2Error(
      'oauth2_invalid_response',
      `Atlassian answered HTTP ${response.status} when listing sites.`,
      {
        hint: 'Try again in a few minutes.',
        status: 502,
      },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = resourcesSchema.safeParse(json);
  if (!parsed.success) {
    throw new OAuth2Error(
      'oauth2_invalid_response',
      "Atlassian's list of accessible sites was not in the expected format.",
      {
        hint: 'Check the accessible-resources URL.',
        status: 502,
      },
    );
  }
  return parsed.data;
}

function normalizeSiteUrl(url: string): string | undefined {
  try {
    const u = new URL(url.trim());
    return `${u.protocol}//${u.host.toLowerCase()}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return undefined;
  }
}

/** Picks the site whose URL is the Jira instance URL the administrator entered. */
export function findCloudSite(sites: readonly CloudSite[], instanceUrl: string): CloudSite {
  const wanted = normalizeSiteUrl(instanceUrl);
  const site = wanted ? sites.find((s) => normalizeSiteUrl(s.url) === wanted) : undefined;
  if (site) return site;
  const available = sites.map((s) => s.url).join(', ') || 'none';
  throw new OAuth2Error(
    'oauth2_no_matching_site',
    `The authorized Atlassian account cannot reach ${wanted ?? 'the Jira URL of this connection'}; it can reach: ${available}.`,
    {
      hint: 'Check the Jira URL of the connection, or authorize with an account that has access to that site (and pick that site on the consent screen).',
    },
  );
}

/** The API root for a Cloud site reached with OAuth 2.0 (give it to JiraClient as apiBaseUrl). */
export function cloudApiBaseUrl(
  cloudId: string,
  apiGateway: string = ATLASSIAN_CLOUD_ENDPOINTS.apiGateway,
): string {
  return `${apiGateway.replace(/\/+$/, '')}/ex/jira/${encodeURIComponent(cloudId)}`;
}
