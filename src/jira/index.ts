/**
 * The Jira client: one JiraClient per connection, an auth strategy plugged in
 * (basicAuth, patAuth, oauth1Auth, oauth2Auth over an AccessTokenSource such as
 * src/oauth2's OAuth2TokenManager), the endpoints Testbridge uses with the API variant
 * picked from the deployment, JiraApiError for every failure, and onCall for accounting.
 *
 *   const jira = new JiraClient({ jiraUrl, baseUrl, auth: oauth1Auth({ consumerKey, privateKey, accessToken }) });
 *   for await (const page of jira.searchPages('project = P AND updated >= -1d', { fields: ['summary'] })) …
 */
export {
  type AccessTokenSource,
  type AuthRequest,
  basicAuth,
  type JiraAuth,
  type JiraAuthKind,
  type OAuth1SignInput,
  type OAuth1Signer,
  type RejectedResponse,
  type RejectionExplanation,
  oauth1Auth,
  oauth2Auth,
  patAuth,
} from './auth.js';
export { JiraClient, type JiraClientOptions } from './client.js';
export {
  type JiraDeployment,
  deploymentFromServerInfo,
  usesJiraWebhookApi,
  usesLegacyCreateMeta,
} from './deployment.js';
export {
  type ConnectionNetworkOptions,
  createDispatcher,
  networkFetch,
  safeHost,
  type TlsOptions,
} from './dispatcher.js';
export type { CallOptions } from './endpoints/context.js';
export type { AttachmentInput, IssueFields, IssueUpdate } from './endpoints/issues.js';
export type { SearchOptions, SearchPage } from './endpoints/search.js';
export { TESTBRIDGE_PERMISSIONS } from './endpoints/server-info.js';
export type {
  AdminWebhook,
  AdminWebhookInput,
  DynamicWebhookInput,
  DynamicWebhookRegistration,
} from './endpoints/webhooks.js';
export { TESTBRIDGE_WEBHOOK_EVENTS } from './endpoints/webhooks.js';
export { isJiraApiError, JiraApiError, type JiraErrorCode, parseJiraErrorBody } from './errors.js';
export { DEFAULT_RETRY_POLICY, parseRetryAfter, type RetryPolicy } from './retry.js';
export type * from './schemas.js';
export { type FetchLike, type JiraCallEvent, JiraTransport, type JiraTransportOptions } from './transport.js';
