/**
 * OAuth 1.0a (RFC 5849) for Jira application links. Protocol only: node:crypto and fetch,
 * no store, no HTTP routes.
 *
 * For the Jira client: read the stored key once with `readPrivateKey(pem).key`, then either
 * `signRequest({ method, url, consumerKey, privateKey, token, signingBaseUrl, requestBaseUrl })`
 * per call or `createRequestSigner({...})` once per connection; put the result in the
 * `Authorization` header. Pass `formBody` only for application/x-www-form-urlencoded bodies
 * (never JSON), and `signingBaseUrl` (Jira's base URL) + `requestBaseUrl` (the URL we send
 * to) when Jira sits behind a proxy.
 */
export {
  baseStringUri,
  collectParameters,
  type FormBody,
  normalizeParameters,
  signatureBaseString,
} from './base-string.js';
export { formDecode, formEncode, type Param, percentDecode, percentEncode } from './encoding.js';
export {
  type AccessToken,
  authorizationUrl,
  getAccessToken,
  getRequestToken,
  JIRA_OAUTH_PATHS,
  type JiraOAuth1Config,
  type RequestToken,
} from './jira-flow.js';
export {
  type BaseStringDiff,
  compareBaseStrings,
  OAuthProblemError,
  type OAuthProblemReport,
  oauthProblemError,
  parseOAuthProblem,
} from './problems.js';
export {
  type Clock,
  createRequestSigner,
  type NonceSource,
  type OAuth1SignOptions,
  randomNonce,
  rebaseUrl,
  type RequestSignerCredentials,
  type SignedOAuth1Request,
  type SignRequestOptions,
  signOAuth1,
  signRequest,
} from './sign.js';
export {
  authorizationHeader,
  computeSignature,
  parseAuthorizationHeader,
  SIGNATURE_METHODS,
  type SignatureMethod,
  type SigningKey,
  type VerifyingKey,
  verifySignature,
} from './signature.js';
