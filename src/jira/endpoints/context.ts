import { z } from 'zod';
import { jiraInvalidResponse } from '../errors.js';
import type { JiraDeployment } from '../deployment.js';
import type { JiraTransport } from '../transport.js';

/** What every endpoint function gets: the HTTP core and the (lazily detected) deployment. */
export interface JiraContext {
  readonly transport: JiraTransport;
  deployment(): Promise<JiraDeployment>;
}

/** One path segment from a key or id: encoded so a stray "/" or "?" cannot change the route. */
export function seg(value: string | number): string {
  return encodeURIComponent(String(value));
}

/** Options every endpoint accepts. */
export type CallOptions = {
  /** Why the call is made, reported to onCall (e.g. "reconcile"). */
  reason?: string;
  /** Whom it is made for, reported to onCall (e.g. a mapping id). */
  scope?: string;
  signal?: AbortSignal;
};

export function callOptions(o: CallOptions | undefined): CallOptions {
  return {
    ...(o?.reason ? { reason: o.reason } : {}),
    ...(o?.scope ? { scope: o.scope } : {}),
    ...(o?.signal ? { signal: o.signal } : {}),
  };
}

/** Validates items pulled out of a page whose list key varies; a mismatch is Jira's fault, not a crash. */
export function parseItems<T extends z.ZodType>(schema: T, items: unknown[], path: string): z.output<T>[] {
  const parsed = z.array(schema).safeParse(items);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw jiraInvalidResponse({
      method: 'GET',
      path,
      detail: first ? `${first.path.join('.')}: ${first.message}` : 'unexpected list item',
    });
  }
  return parsed.data;
}
