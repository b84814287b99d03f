import { AppError } from '../errors.js';

export type JiraErrorCode =
  | 'jira_unauthorized'
  | 'jira_forbidden'
  | 'jira_not_found'
  | 'jira_conflict'
  | 'jira_rate_limited'
  | 'jira_bad_request'
  | 'jira_unavailable'
  | 'jira_server_error'
  | 'jira_unreachable'
  | 'jira_timeout'
  | 'jira_invalid_response';

/**
 * A failed call to Jira. `status` is the HTTP status Testbridge should answer its own caller
 * with (a Jira 401 must not look like an expired Testbridge session, so it becomes 502);
 * `jiraStatus` is what Jira actually returned (undefined when Jira was never reached).
 */
export class JiraApiError extends AppError {
  declare readonly code: JiraErrorCode;
  readonly jiraStatus: number | undefined;
  /** Jira's `errorMessages`, plus `errors` rendered as "field: message". */
  readonly jiraMessages: string[];
  /** Jira's per-field `errors` object (create/edit issue validation). */
  readonly fieldErrors: Record<string, string>;
  readonly method: string;
  /** Path below the API root, without the query string (no secrets, no host noise). */
  readonly path: string;
  /** How long Jira asked us to wait, when it said so (429/503). */
  readonly retryAfterMs: number | undefined;
  /** Why the credentials were refused, when the protocol says (OAuth 1.0a oauth_problem). */
  readonly authProblem: string | undefined;

  constructor(
    code: JiraErrorCode,
    message: string,
    options: {
      hint: string;
      status: number;
      jiraStatus?: number;
      jiraMessages?: string[];
      fieldErrors?: Record<string, string>;
      method: string;
      path: string;
      retryAfterMs?: number;
      authProblem?: string;
      cause?: unknown;
    },
  ) {
    super(code, message, { hint: options.hint, status: options.status, cause: options.cause });
    this.name = 'JiraApiError';
    this.jiraStatus = options.jiraStatus;
    this.jiraMessages = options.jiraMessages ?? [];
    this.fieldErrors = options.fieldErrors ?? {};
    this.method = options.method;
    this.path = options.path;
    this.retryAfterMs = options.retryAfterMs;
    this.authProblem = options.authProblem;
  }
}

export function isJiraApiError(e: unknown, code?: JiraErrorCode): e is JiraApiError {
  return e instanceof JiraApiError && (code === undefined || e.code === code);
}

/**
 * Jira answers errors as `{ errorMessages: string[], errors: { field: message } }` (both
 * Cloud and Server), sometimes as `{ message }` (gateway, webhooks plugin) and sometimes
 * as HTML from a proxy in front of it. Pull out whatever readable text there is.
 */
export function parseJiraErrorBody(text: string): {
  messages: string[];
  fieldErrors: Record<string, string>;
} {
  const messages: string[] = [];
  const fieldErrors: Record<string, string> = {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const record = body as Record<string, unknown>;
    if (Array.isArray(record.errorMessages)) {
      for (const m of record.errorMessages) if (typeof m === 'string' && m.trim()) messages.push(m.trim());
    }
    if (record.errors && typeof record.errors === 'object' && !Array.isArray(record.errors)) {
      for (const [field, m] of Object.entries(record.errors as Record<string, unknown>)) {
        if (typeof m === 'string') {
          fieldErrors[field] = m;
          messages.push(`${field}: ${m}`);
        }
      }
    }
    for (const key of ['message', 'errorMessage', 'error_description']) {
      const m = record[key];
      if (typeof m === 'string' && m.trim() && messages.length === 0) messages.push(m.trim());
    }
  } else if (/(^|&)\s*oauth_problem=/.test(text.trim())) {
    // An OAuth problem report can echo oauth_signature_base_string, which carries the access
    // token: keep only the problem name.
    const problem = new URLSearchParams(text.trim()).get('oauth_problem');
    if (problem && /^[a-z_]{1,64}$/.test(problem)) messages.push(`oauth_problem=${problem}`);
  } else if (text.trim() && !/^\s*</.test(text)) {
    // Plain text (some proxies); HTML pages are noise for an administrator, so skip them.
    messages.push(text.trim().slice(0, 300));
  }
  return { messages: messages.map((m) => m.slice(0, 500)), fieldErrors };
}

type StatusTranslation = { code: JiraErrorCode; status: number; what: string; hint: string };

function translateStatus(jiraStatus: number): StatusTranslation {
  switch (jiraStatus) {
    case 400:
      return {
        code: 'jira_bad_request',
        status: 400,
        what: 'Jira rejected the request',
        hint: 'Check the values sent (project, issue type, fields, JQL) against what Jira reports.',
      };
    case 401:
      return {
        code: 'jira_unauthorized',
        status: 502,
        what: 'Jira did not accept the credentials',
        hint: 'Re-authorize the connection or update its credentials (token, password, consumer key and private key).',
      };
    case 403:
      return {
        code: 'jira_forbidden',
        status: 403,
        what: 'Jira refused the request for this account',
        hint: 'Give the Jira account the needed permission (see the connection diagnostics) or use an account that has it.',
      };
    case 404:
      return {
        code: 'jira_not_found',
        status: 404,
        what: 'Jira could not find it',
        hint: 'Check the key or id, and that the Jira account can browse the project.',
      };
    case 409:
      return {
        code: 'jira_conflict',
        status: 409,
        what: 'Jira reported a conflict',
        hint: 'Reload the item from Jira and try again.',
      };
    case 429:
      return {
        code: 'jira_rate_limited',
        status: 503,
        what: 'Jira is rate limiting this account',
        hint: 'Wait a little and try again; reduce the sync frequency if it keeps happening.',
      };
    case 502:
    case 503:
    case 504:
      return {
        code: 'jira_unavailable',
        status: 503,
        what: 'Jira is temporarily unavailable',
        hint: 'Try again in a few minutes; check Jira (or the proxy in front of it) if it persists.',
      };
    default:
      if (jiraStatus >= 500) {
        return {
          code: 'jira_server_error',
          status: 502,
          what: `Jira failed with HTTP ${jiraStatus}`,
          hint: "Try again; if it persists, look at Jira's logs for this request.",
        };
      }
      return {
        code: 'jira_bad_request',
        status: 400,
        what: `Jira answered HTTP ${jiraStatus}`,
        hint: 'Check the request values against what Jira reports.',
      };
  }
}

export function jiraHttpError(options: {
  jiraStatus: number;
  bodyText: string;
  method: string;
  path: string;
  retryAfterMs?: number;
}): JiraApiError {
  const t = translateStatus(options.jiraStatus);
  const { messages, fieldErrors } = parseJiraErrorBody(options.bodyText);
  const detail = messages.length ? `: ${messages.join('; ')}` : '.';
  return new JiraApiError(
    t.code,
    `${t.what} (${options.method} ${options.path}, HTTP ${options.jiraStatus})${detail}`,
    {
      hint: t.hint,
      status: t.status,
      jiraStatus: options.jiraStatus,
      jiraMessages: messages,
      fieldErrors,
      method: options.method,
      path: options.path,
      retryAfterMs: options.retryAfterMs,
    },
  );
}

/** Node error codes (from undici's `cause`) that mean the TLS handshake failed on the certificate. */
const CERT_CAUSES: Record<string, string> = {
  CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  CERT_NOT_YET_VALID: 'its TLS certificate is not valid yet (check the clocks)',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'its TLS certificate chain ends in a self-signed (private) CA',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate is signed by an unknown CA',
  UNABLE_TO_GET_ISSUER_CERT: 'its TLS certificate is signed by an unknown CA',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'its TLS certificate is signed by an unknown CA',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its TLS certificate is for a different host name',
  CERT_REVOKED: 'its TLS certificate has been revoked',
};

function errorCode(e: unknown): string | undefined {
  let current: unknown = e;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'ERR_INVALID_ARG_TYPE') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True when the failure happened before or while talking to Jira (no HTTP response at all). */
export function networkErrorCode(e: unknown): string | undefined {
  return errorCode(e);
}

/**
 * Turns a fetch failure (no HTTP response) into something an administrator can act on,
 * naming the host and the cause but never the full URL (it may carry credentials).
 */
export function jiraNetworkError(options: {
  cause: unknown;
  host: string;
  method: string;
  path: string;
  viaProxy?: string;
}): JiraApiError {
  const code = errorCode(options.cause) ?? 'UNKNOWN';
  const base = { status: 502, method: options.method, path: options.path, cause: options.cause };
  const certProblem = CERT_CAUSES[code];
  if (certProblem) {
    return new JiraApiError(
      'jira_unreachable',
      `Could not connect securely to ${options.host}: ${certProblem}.`,
      {
        ...base,
        hint:
          code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID' || code === 'CERT_REVOKED'
            ? 'Ask the Jira administrator to renew the certificate (and check the clocks on both machines).'
            : code === 'ERR_TLS_CERT_ALTNAME_INVALID'
              ? 'Use the host name the certificate was issued for in the Jira URL.'
              : "Add your organisation's CA certificate (PEM) to the connection's TLS settings.",
      },
    );
  }
  const via = options.viaProxy ? ` (through the proxy ${options.viaProxy})` : '';
  const describe: Record<string, [string, string]> = {
    ENOTFOUND: [
      `the host name ${options.host} could not be resolved`,
      'Check the spelling of the Jira URL and the DNS settings of this server.',
    ],
    EAI_AGAIN: [
      `the DNS lookup for ${options.host} failed temporarily`,
      'Check the DNS settings of this server and try again.',
    ],
    ECONNREFUSED: [
      `${options.host} refused the connection`,
      'Check the port in the Jira URL and that Jira (or the proxy) is running.',
    ],
    ECONNRESET: [
      `${options.host} closed the connection`,
      'Try again; if it persists, check any proxy or firewall between Testbridge and Jira.',
    ],
    ETIMEDOUT: [
      `the connection to ${options.host} timed out`,
      'Check that Jira is reachable from this server (firewall, proxy settings).',
    ],
    UND_ERR_CONNECT_TIMEOUT: [
      `the connection to ${options.host} timed out`,
      'Check that Jira is reachable from this server (firewall, proxy settings).',
    ],
    EHOSTUNREACH: [
      `${options.host} is unreachable from this server`,
      'Check the network route, firewall and proxy settings.',
    ],
    ENETUNREACH: [
      `the network of ${options.host} is unreachable`,
      'Check the network route, firewall and proxy settings.',
    ],
    UND_ERR_SOCKET: [
      `the connection to ${options.host} broke`,
      'Try again; if it persists, check any proxy or firewall between Testbridge and Jira.',
    ],
    EPROTO: [
      `the TLS handshake with ${options.host} failed`,
      'Check that the Jira URL uses the right scheme (http or https) and port.',
    ],
    ERR_SSL_WRONG_VERSION_NUMBER: [
      `the TLS handshake with ${options.host} failed`,
      'Check that the Jira URL uses the right scheme (http or https) and port.',
    ],
  };
  const [what, hint] = describe[code] ?? [
    `the request to ${options.host} failed (${code})`,
    'Check the Jira URL, the proxy settings and that Jira is running.',
  ];
  return new JiraApiError('jira_unreachable', `Could not reach Jira: ${what}${via}.`, { ...base, hint });
}

export function jiraTimeoutError(options: {
  host: string;
  method: string;
  path: string;
  timeoutMs: number;
}): JiraApiError {
  return new JiraApiError(
    'jira_timeout',
    `Jira at ${options.host} did not answer ${options.method} ${options.path} within ${Math.round(options.timeoutMs / 1000)} s.`,
    {
      status: 504,
      method: options.method,
      path: options.path,
      hint: 'Try again; if Jira is slow, raise the request timeout of the connection or use smaller pages.',
    },
  );
}

export function jiraInvalidResponse(options: { method: string; path: string; detail: string }): JiraApiError {
  return new JiraApiError(
    'jira_invalid_response',
    `Jira's answer to ${options.method} ${options.path} was not what Testbridge expected: ${options.detail}.`,
    {
      status: 502,
      method: options.method,
      path: options.path,
      hint: 'Check that the Jira URL points at Jira itself (not a login page or proxy error page).',
    },
  );
}
