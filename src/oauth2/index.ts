/**
 * OAuth 2.0 authorization-code clients for Jira: Atlassian Cloud 3LO (atlassianCloudProvider,
 * accessibleResources, findCloudSite, cloudApiBaseUrl) and Jira Data Center
 * (dataCenterProvider, PKCE). createAuthorization -> admin consents -> exchangeCode; keep
 * the tokens in an OAuth2TokenManager, which refreshes single-flight and persists rotated
 * refresh tokens before use, and hand it to the Jira client's oauth2Auth.
 */
export {
  ATLASSIAN_CLOUD_ENDPOINTS,
  accessibleResources,
  atlassianCloudProvider,
  CLOUD_SCOPES,
  type CloudEndpoints,
  type CloudSite,
  cloudApiBaseUrl,
  findCloudSite,
} from './atlassian-cloud.js';
export { DATA_CENTER_SCOPES, dataCenterProvider } from './datacenter.js';
export { isOAuth2Error, OAuth2Error, type OAuth2ErrorCode } from './errors.js';
export {
  createAuthorization,
  exchangeCode,
  type FetchLike,
  isLoopbackHost,
  type OAuth2ClientCredentials,
  type OAuth2Provider,
  type OAuth2TransportOptions,
  type PendingAuthorization,
  refreshTokens,
  type TokenSet,
} from './flow.js';
export { OAuth2TokenManager, type TokenManagerOptions } from './token-manager.js';
