/**
 * A scripted fetch for unit tests: each call is matched against the queue of answers in
 * order, and every request is recorded so tests can assert on what was sent.
 */
import type { FetchInit, FetchLike } from './transport.js';

export type RecordedRequest = {
  method: string;
  url: URL;
  headers: Headers;
  body: string | FormData | undefined;
};

export type ScriptedAnswer =
  | { status: number; json?: unknown; text?: string; headers?: Record<string, string> }
  | { error: unknown }
  | ((req: RecordedRequest) => Response | Promise<Response>);

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

export function scriptedFetch(answers: ScriptedAnswer[]): { fetch: FetchLike; requests: RecordedRequest[] } {
  const requests: RecordedRequest[] = [];
  const queue = [...answers];
  const fetch: FetchLike = async (input, init?: FetchInit) => {
    const body = init?.body;
    const req: RecordedRequest = {
      method: init?.method ?? 'GET',
      url: new URL(String(input)),
      headers: new Headers(init?.headers),
      body: typeof body === 'string' || body instanceof FormData ? body : undefined,
    };
    requests.push(req);
    const next = queue.shift();
    if (!next) throw new Error(`unexpected request ${req.method} ${req.url}`);
    if (typeof next === 'function') return next(req);
    if ('error' in next) throw next.error;
    const status = next.status;
    const noBody = status === 204 || status === 304;
    const text = next.text ?? (next.json === undefined ? '' : JSON.stringify(next.json));
    return new Response(noBody ? null : text, {
      status,
      headers: {
        ...(next.json !== undefined ? { 'content-type': 'application/json' } : {}),
        ...next.headers,
      },
    });
  };
  return { fetch, requests };
}

/** A fetch failure as undici reports it: TypeError("fetch failed") with a coded cause. */
export function networkFailure(code: string): TypeError {
  const cause = Object.assign(new Error(`connect ${code}`), { code });
  return new TypeError('fetch failed', { cause });
}
