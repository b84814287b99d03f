/**
 * The one way the UI talks to the server: same origin, the session cookie, the CSRF token
 * on every state-changing request, and the product's single error shape turned into an
 * ApiError whose message and hint the pages render as they are.
 */

export type ErrorBody = { error: { code: string; message: string; hint?: string } };

export class ApiError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly status: number;
  /** Seconds the server asked us to wait (429), when it said. */
  readonly retryAfter: number | undefined;

  constructor(status: number, code: string, message: string, hint?: string, retryAfter?: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.hint = hint;
    this.retryAfter = retryAfter;
  }
}

export type User = { id: string; username: string; role: string };
export type Session = { user: User; csrfToken: string };

let csrfToken: string | undefined;
let unauthorizedListener: (() => void) | undefined;

/** Called when a request finds the session gone (expired, signed out elsewhere). */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListener = listener;
  return () => {
    if (unauthorizedListener === listener) unauthorizedListener = undefined;
  };
}

function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const e = (value as { error: unknown }).error;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { code?: unknown }).code === 'string' &&
    typeof (e as { message?: unknown }).message === 'string'
  );
}

function retryAfterSeconds(res: Response): number | undefined {
  const raw = res.headers.get('retry-after');
  if (!raw) return undefined;
  const n = Number(raw);
  if (Number.isFinite(n) && n >= 0) return Math.ceil(n);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

async function toApiError(res: Response): Promise<ApiError> {
  const retryAfter = retryAfterSeconds(res);
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  if (isErrorBody(body)) {
    return new ApiError(res.status, body.error.code, body.error.message, body.error.hint, retryAfter);
  }
  // A proxy or a crashed server can answer without our error shape; say so plainly.
  if (res.status === 429) {
    return new ApiError(
      429,
      'rate_limited',
      'Too many attempts.',
      'Wait a minute, then try again.',
      retryAfter,
    );
  }
  return new ApiError(
    res.status,
    res.status === 404 ? 'not_found' : 'unexpected_response',
    `The server answered ${res.status} ${res.statusText || ''}`.trim().concat('.'),
    res.status >= 500
      ? 'Retry; if it keeps failing, check the Testbridge server log.'
      : 'Reload the page; if it keeps happening, check the Testbridge server log.',
    retryAfter,
  );
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

async function send(method: Method, path: string, body: unknown): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  try {
    return await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new ApiError(
      0,
      'network_error',
      'Testbridge did not answer.',
      'Check that the server is running and your network connection is up, then try again.',
    );
  }
}

export async function request<T>(method: Method, path: string, body?: unknown): Promise<T> {
  let res = await send(method, path, body);
  // The CSRF token changes with the session (e.g. after a server restart): fetch the current
  // one and retry once rather than showing the user a token error they cannot act on.
  if (res.status === 403 && method !== 'GET') {
    const err = await toApiError(res.clone());
    if (/csrf/i.test(err.code)) {
      await getSession();
      res = await send(method, path, body);
    }
  }
  if (!res.ok) {
    if (res.status === 401 && path !== '/api/session') unauthorizedListener?.();
    throw await toApiError(res);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

// Session ----------------------------------------------------------------------------

type SessionBody = { user: User; csrfToken: string };

/** The signed-in session, or null when nobody is signed in. */
export async function getSession(): Promise<Session | null> {
  try {
    const s = await request<SessionBody>('GET', '/api/session');
    csrfToken = s.csrfToken;
    return { user: s.user, csrfToken: s.csrfToken };
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      csrfToken = undefined;
      return null;
    }
    throw err;
  }
}

export async function signIn(username: string, password: string): Promise<Session> {
  const s = await request<SessionBody>('POST', '/api/session', { username, password });
  csrfToken = s.csrfToken;
  return { user: s.user, csrfToken: s.csrfToken };
}

export async function signOut(): Promise<void> {
  try {
    await request<void>('DELETE', '/api/session');
  } finally {
    csrfToken = undefined;
  }
}

// Keys -------------------------------------------------------------------------------

export type KeyBits = 1024 | 2048 | 4096;

/** SHA-256 over the public key (SPKI): OpenSSH style and colon hex. Both halves of a pair share it. */
export type Fingerprint = { sha256: string; hex: string };

export type KeyFacts = { bits: number; format: string; fingerprint: Fingerprint; warnings: string[] };

export type GeneratedKeyPair = {
  bits: number;
  privateKeyPem: string;
  publicKeyPem: string;
  certificatePem: string;
  publicKeyBody: string;
  fingerprint: Fingerprint;
  warnings: string[];
};

export type KeyCheck = {
  privateKey?: KeyFacts;
  publicKey?: KeyFacts;
  /** Present when both keys were given: whether they are one pair. */
  match?: boolean;
};

export const generateKeyPair = (bits: KeyBits) =>
  request<GeneratedKeyPair>('POST', '/api/keys/generate', { bits });

export const checkKeys = (input: { privateKey?: string; publicKey?: string }) =>
  request<KeyCheck>('POST', '/api/keys/check', input);

// Jira instances ---------------------------------------------------------------------

export type JiraInstance = {
  id: string;
  name: string;
  baseUrl: string;
  authMode: string;
  status: string;
  statusMessage?: string | null;
  lastDiagnostics?: { at: string; ok: boolean; summary?: string } | null;
  mappings?: number;
};

/**
 * The instances, or `unavailable` while this server has no instances API yet (older
 * server, or the feature not installed): the page then says so instead of failing.
 */
export async function listJiraInstances(): Promise<JiraInstance[] | 'unavailable'> {
  try {
    const body = await request<JiraInstance[] | { instances: JiraInstance[] }>('GET', '/api/jira/instances');
    return Array.isArray(body) ? body : body.instances;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404 && err.code === 'not_found') return 'unavailable';
    throw err;
  }
}

// Projects ---------------------------------------------------------------------------

export type Project = {
  id: string;
  key: string;
  name: string;
  description: string | null;
  createdAt: string;
  mapping: { id: string; jiraInstanceId: string; jiraProjectKey: string; state: string } | null;
};

/** The projects, or `unavailable` while this server has no projects API. */
export async function listProjects(): Promise<Project[] | 'unavailable'> {
  try {
    return (await request<{ projects: Project[] }>('GET', '/api/projects')).projects;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404 && err.code === 'not_found') return 'unavailable';
    throw err;
  }
}
