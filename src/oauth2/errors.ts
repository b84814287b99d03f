import { AppError } from '../errors.js';

export type OAuth2ErrorCode =
  | 'oauth2_reauthorization_required'
  | 'oauth2_invalid_client'
  | 'oauth2_access_denied'
  | 'oauth2_state_mismatch'
  | 'oauth2_authorization_failed'
  | 'oauth2_token_request_failed'
  | 'oauth2_invalid_response'
  | 'oauth2_unreachable'
  | 'oauth2_insecure_url'
  | 'oauth2_invalid_config'
  | 'oauth2_no_matching_site'
  | 'oauth2_persist_failed';

/** An OAuth 2.0 failure; `oauthError` is the protocol's `error` value when the server sent one. */
export class OAuth2Error extends AppError {
  declare readonly code: OAuth2ErrorCode;
  readonly oauthError: string | undefined;

  constructor(
    code: OAuth2ErrorCode,
    message: string,
    options: { hint: string; status?: number; oauthError?: string; cause?: unknown },
  ) {
    super(code, message, { hint: options.hint, status: options.status ?? 400, cause: options.cause });
    this.name = 'OAuth2Error';
    this.oauthError = options.oauthError;
  }
}

export function isOAuth2Error(e: unknown, code?: OAuth2ErrorCode): e is OAuth2Error {
  return e instanceof OAuth2Error && (code === undefined || e.code === code);
}
