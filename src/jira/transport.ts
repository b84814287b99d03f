import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import { AppError } from '../errors.js';
import type { AuthRequest, JiraAuth } from './auth.js';
import { type ConnectionNetworkOptions, createDispatcher, safeHost } from './dispatcher.js';
import {
  JiraApiError,
  jiraHttpError,
  jiraInvalidResponse,
  jiraNetworkError,
  jiraTimeoutError,
  networkErrorCode,
} from './errors.js';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  IDEMPOTENT_METHODS,
  isRetryableStatus,
  parseRetryAfter,
  RETRYABLE_NETWORK_CODES,
  type RetryPolicy,
  realSleep,
} from './retry.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** One HTTP attempt, reported so the sync can count API calls per mapping and reason. */
export type JiraCallEvent = {
  method: string;
  /** Path below the API root, without the query string. */
  path: string;
  /** HTTP status, or undefined when no response arrived (network error, timeout). */
  status: number | undefined;
  ms: number;
  /** Why the call was made (caller-supplied, e.g. "reconcile", "diagnostics"). */
  reason: string;
  /** Whom the call was made for (caller-supplied, e.g. a mapping id), when given. */
  scope?: string;
  /** 0 for the first attempt, 1.. for retries. */
  attempt: number;
  /** Error code when the attempt failed without a response. */
  error?: string;
};

export type FetchInit = RequestInit & { dispatcher?: Dispatcher };
export type FetchLike = (input: string | URL, init?: FetchInit) => Promise<Response>;

export type JiraTransportOptions = {
  /** Where requests are sent (the Jira URL as reachable from Testbridge). */
  jiraUrl: string;
  /**
   * Root under which `/rest/...` lives; defaults to jiraUrl. Cloud OAuth 2.0 uses
   * https://api.atlassian.com/ex/jira/{cloudId}.
   */
  apiBaseUrl?: string;
  /** Jira's own base URL (Jira behind a reverse proxy); OAuth 1.0a signs against it. */
  baseUrl?: string;
  auth: JiraAuth;
  network?: ConnectionNetworkOptions;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  onCall?: (event: JiraCallEvent) => void;
  /** Default reason reported to onCall. */
  reason?: string;
  /** Default scope reported to onCall (a client per mapping can set its mapping id). */
  scope?: string;
  fetch?: FetchLike;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
  userAgent?: string;
  /** Largest answer accepted, in bytes. */
  maxResponseBytes?: number;
};

export type QueryValue = string | number | boolean | readonly string[] | undefined;

export type JiraRequest<S extends z.ZodType | undefined> = {
  method: HttpMethod;
  /** Path below the API root, starting with /rest/. */
  path: string;
  query?: Record<string, QueryValue>;
  json?: unknown;
  /** Multipart body (attachments). */
  multipart?: FormData;
  headers?: Record<string, string>;
  /** Validates the JSON answer; omit for endpoints that answer 204 / nothing useful. */
  schema?: S;
  reason?: string;
  scope?: string;
  /** Overrides the method-based guess (POST /search is a read and may be repeated). */
  idempotent?: boolean;
  signal?: AbortSignal;
  timeoutMs?: number;
};

export type JiraResponse<T> = { status: number; data: T; headers: Headers };

export const DEFAULT_TIMEOUT_MS = 30_000;
/** Far above any page Testbridge asks for; stops a misconfigured URL from exhausting memory. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

class ResponseTooLarge extends Error {}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MB` : `${Math.ceil(bytes / 1024)} KB`;
}

async function readText(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new ResponseTooLarge();
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new ResponseTooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function parseRoot(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new AppError('jira_url_invalid', `The ${what} is not a valid URL.`, {
      hint: 'Use the full address, e.g. https://jira.example.com or https://example.atlassian.net.',
      status: 400,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AppError('jira_url_invalid', `The ${what} must start with http:// or https://.`, {
      hint: 'Use the full address, e.g. https://jira.example.com.',
      status: 400,
    });
  }
  if (url.username || url.password) {
    throw new AppError('jira_url_invalid', `The ${what} must not contain a user name or password.`, {
      hint: 'Remove the credentials from the URL and choose an authentication method instead.',
      status: 400,
    });
  }
  url.search = '';
  url.hash = '';
  return url;
}

function appendQuery(url: URL, query: Record<string, QueryValue> | undefined): void {
  if (!query) return;
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      if (value.length) url.searchParams.set(key, value.join(','));
    } else {
      url.searchParams.set(key, String(value));
    }
  }
}

function isAbortFromCaller(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function summarizeZodError(error: z.ZodError): string {
  // Paths and messages only: values could be anything Jira sent, including personal data.
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

/**
 * The HTTP core of the Jira client: URL building, authorization, timeouts, retries with
 * backoff, error translation and call accounting. Endpoints are thin functions over it.
 */
export class JiraTransport {
  readonly apiRoot: URL;
  readonly signingRoot: URL;
  readonly jiraUrl: URL;
  readonly auth: JiraAuth;
  private readonly dispatcher: Dispatcher | undefined;
  private readonly proxyHost: string | undefined;
  private readonly fetchImpl: FetchLike;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly policy: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly onCall: ((event: JiraCallEvent) => void) | undefined;
  private readonly reason: string;
  private readonly scope: string | undefined;
  private readonly userAgent: string;
  private readonly maxResponseBytes: number;

  constructor(options: JiraTransportOptions) {
    this.jiraUrl = parseRoot(options.jiraUrl, 'Jira URL');
    this.apiRoot = options.apiBaseUrl ? parseRoot(options.apiBaseUrl, 'API base URL') : this.jiraUrl;
    this.signingRoot = options.baseUrl ? parseRoot(options.baseUrl, 'Jira base URL') : this.apiRoot;
    this.auth = options.auth;
    this.dispatcher = options.network ? createDispatcher(options.network) : undefined;
    this.proxyHost = options.network?.proxyUrl ? safeHost(options.network.proxyUrl) : undefined;
    this.fetchImpl = options.fetch ?? (globalThis.fetch as FetchLike);
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? (() => performance.now());
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.onCall = options.onCall;
    this.reason = options.reason ?? 'unspecified';
    this.scope = options.scope;
    this.userAgent = options.userAgent ?? 'Testbridge';
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  }

  /** Absolute URL for a path below the API root (also used for webhook `self` links). */
  url(path: string, query?: Record<string, QueryValue>, root: URL = this.apiRoot): URL {
    const url = new URL(trimSlash(root.toString()) + path);
    appendQuery(url, query);
    return url;
  }

  async close(): Promise<void> {
    await this.dispatcher?.close();
  }

  async request<S extends z.ZodType | undefined = undefined>(
    req: JiraRequest<S>,
  ): Promise<JiraResponse<S extends z.ZodType ? z.output<S> : undefined>> {
    type Out = S extends z.ZodType ? z.output<S> : undefined;
    const url = this.url(req.path, req.query);
    const signingUrl = this.url(req.path, req.query, this.signingRoot);
    const host = url.host;
    const idempotent = req.idempotent ?? IDEMPOTENT_METHODS.has(req.method);
    const scope = req.scope ?? this.scope;
    const call = {
      method: req.method,
      path: req.path,
      reason: req.reason ?? this.reason,
      ...(scope ? { scope } : {}),
    };
    const timeoutMs = req.timeoutMs ?? this.timeoutMs;
    const authRequest: AuthRequest = { method: req.method, path: req.path, url, signingUrl };
    let refreshedAuth = false;

    for (let attempt = 0, retries = 0; ; attempt++) {
      const headers = new Headers(req.headers);
      headers.set('Accept', 'application/json');
      headers.set('User-Agent', this.userAgent);
      let body: BodyInit | undefined;
      if (req.multipart) {
        body = req.multipart;
        // Jira's XSRF check rejects multipart uploads without this header.
        headers.set('X-Atlassian-Token', 'no-check');
      } else if (req.json !== undefined) {
        body = JSON.stringify(req.json);
        headers.set('Content-Type', 'application/json');
      }
      const authorization = await this.auth.authorization(authRequest);
      headers.set('Authorization', authorization);

      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
      const started = this.now();
      let response: Response;
      try {
        response = await this.fetchImpl(url, {
          method: req.method,
          headers,
          body,
          signal,
          // A redirect would carry the Authorization header somewhere else and break
          // OAuth 1.0a signatures; report it so the admin fixes the URL instead.
          redirect: 'manual',
          ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
        });
      } catch (cause) {
        const ms = this.now() - started;
        if (isAbortFromCaller(req.signal)) {
          this.report({ ...call, status: undefined, ms, attempt, error: 'aborted' });
          throw cause;
        }
        const timedOut = timeout.aborted;
        const code = timedOut ? 'timeout' : (networkErrorCode(cause) ?? 'network');
        this.report({ ...call, status: undefined, ms, attempt, error: code });
        const retryable = idempotent && (timedOut || RETRYABLE_NETWORK_CODES.has(code));
        if (retryable && retries < this.policy.maxRetries) {
          await this.sleep(backoffDelay(retries++, this.policy, this.random), req.signal);
          continue;
        }
        if (timedOut) throw jiraTimeoutError({ host, method: req.method, path: req.path, timeoutMs });
        throw jiraNetworkError({
          cause,
          host,
          method: req.method,
          path: req.path,
          ...(this.proxyHost ? { viaProxy: this.proxyHost } : {}),
        });
      }
      const status = response.status;

      let text: string;
      try {
        text = await readText(response, this.maxResponseBytes);
      } catch (cause) {
        if (cause instanceof ResponseTooLarge) {
          this.report({ ...call, status, ms: this.now() - started, attempt, error: 'too_large' });
          throw jiraInvalidResponse({
            method: req.method,
            path: req.path,
            detail: `the answer is larger than ${formatBytes(this.maxResponseBytes)}`,
          });
        }
        const ms = this.now() - started;
        const timedOut = timeout.aborted;
        this.report({ ...call, status, ms, attempt, error: 'body' });
        if (isAbortFromCaller(req.signal)) throw cause;
        if (idempotent && retries < this.policy.maxRetries) {
          await this.sleep(backoffDelay(retries++, this.policy, this.random), req.signal);
          continue;
        }
        if (timedOut) throw jiraTimeoutError({ host, method: req.method, path: req.path, timeoutMs });
        throw jiraNetworkError({ cause, host, method: req.method, path: req.path });
      }
      this.report({ ...call, status, ms: this.now() - started, attempt });

      if (status === 401 && !refreshedAuth && this.auth.onUnauthorized) {
        refreshedAuth = true;
        // A refreshed credential is not a retry of a failure: it does not use up the budget.
        if (await this.auth.onUnauthorized(authorization)) continue;
      }

      if (isRetryableStatus(status)) {
        const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
        if (retries < this.policy.maxRetries) {
          await this.sleep(backoffDelay(retries++, this.policy, this.random, retryAfterMs), req.signal);
          continue;
        }
        throw jiraHttpError({
          jiraStatus: status,
          bodyText: text,
          method: req.method,
          path: req.path,
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        });
      }

      if (status >= 300 && status < 400) {
        const location = response.headers.get('location');
        const target = location ? safeHost(new URL(location, url)) : 'another address';
        throw new JiraApiError(
          'jira_bad_request',
          `Jira at ${host} redirected ${req.method} ${req.path} to ${target} (HTTP ${status}).`,
          {
            status: 502,
            jiraStatus: status,
            method: req.method,
            path: req.path,
            hint: 'Use the address Jira redirects to (often https:// or a different context path) as the Jira URL.',
          },
        );
      }

      if (status === 401 && this.auth.explainRejection) {
        const explained = this.auth.explainRejection(
          { status, body: text, headers: response.headers },
          authRequest,
          authorization,
        );
        if (explained) {
          throw new JiraApiError('jira_unauthorized', explained.message, {
            hint: explained.hint,
            status: 502,
            jiraStatus: status,
            jiraMessages: explained.problem ? [explained.problem] : [],
            method: req.method,
            path: req.path,
            ...(explained.problem ? { authProblem: explained.problem } : {}),
            cause: explained.cause,
          });
        }
      }

      if (status >= 400) {
        throw jiraHttpError({ jiraStatus: status, bodyText: text, method: req.method, path: req.path });
      }

      if (!req.schema) {
        return { status, data: undefined as Out, headers: response.headers };
      }
      let json: unknown;
      try {
        json = text === '' ? undefined : JSON.parse(text);
      } catch {
        const looksHtml = /^\s*</.test(text);
        throw jiraInvalidResponse({
          method: req.method,
          path: req.path,
          detail: looksHtml ? 'an HTML page instead of JSON' : 'the body is not JSON',
        });
      }
      const parsed = req.schema.safeParse(json);
      if (!parsed.success) {
        throw jiraInvalidResponse({
          method: req.method,
          path: req.path,
          detail: summarizeZodError(parsed.error),
        });
      }
      return { status, data: parsed.data as Out, headers: response.headers };
    }
  }

  private report(event: JiraCallEvent): void {
    if (!this.onCall) return;
    try {
      this.onCall(event);
    } catch {
      // Accounting must never break a Jira call.
    }
  }
}
