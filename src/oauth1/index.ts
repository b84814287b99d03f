/**
 * OAuth 1.0a (RFC 5849) for Jira application links. Protocol only: node:crypto and fetch,
 * no store, no HTTP routes. The Jira client's auth strategy calls `signRequest`.
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
  type NonceSource,
  type OAuth1SignOptions,
  randomNonce,
  rebaseUrl,
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
