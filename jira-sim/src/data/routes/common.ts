import type { Context, Hono } from 'hono';
import type { SimContext, SimEnv } from '../../context.js';
import { JiraError } from '../errors.js';
import type { Store } from '../model.js';
import type { ApiVersion, Renderer } from '../render.js';
import type { SearchEngine } from '../search.js';
import type { DataService } from '../service.js';
import type { WebhookHub } from '../webhooks/hub.js';

/** What every route module needs. */
export type RouteDeps = {
  ctx: SimContext;
  store: Store;
  render: Renderer;
  service: DataService;
  search: SearchEngine;
  hooks: WebhookHub;
};

export type App = Hono<SimEnv>;
export type Ctx = Context<SimEnv>;

/** REST prefixes this flavour serves, with the API version each one speaks. */
export function apiPrefixes(ctx: SimContext): { prefix: string; version: ApiVersion }[] {
  const out: { prefix: string; version: ApiVersion }[] = [
    { prefix: '/rest/api/2', version: '2' },
    { prefix: '/rest/api/latest', version: ctx.flavor === 'cloud' ? '3' : '2' },
  ];
  if (ctx.flavor === 'cloud') out.push({ prefix: '/rest/api/3', version: '3' });
  return out;
}

export type Obj = Record<string, unknown>;

/** A JSON object body; anything else is Jira's 400, never a crash. */
export async function readJson(c: Ctx, { optional = false } = {}): Promise<Obj> {
  const text = await c.req.text();
  if (!text.trim()) {
    if (optional) return {};
    throw new JiraError(400, ['No content to map to Object due to end of input']);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new JiraError(400, [
      'Unexpected character in the request body: it is not valid JSON. Send a JSON object with Content-Type: application/json.',
    ]);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JiraError(400, ['Can not deserialize instance of the request out of a non-object JSON value.']);
  }
  return value as Obj;
}

/** Non-negative integer query parameter with a default; garbage is a 400, not NaN. */
export function intParam(c: Ctx, name: string, fallback: number): number {
  const raw = c.req.query(name);
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new JiraError(400, [`The '${name}' parameter must be a non-negative integer: '${raw}'.`]);
  return n;
}

/** Jira's paged list: `{self, nextPage?, maxResults, startAt, total, isLast, values}`. */
export function paged<T>(c: Ctx, all: T[], startAt: number, maxResults: number, baseUrl: string) {
  const values = all.slice(startAt, startAt + maxResults);
  const isLast = startAt + values.length >= all.length;
  const self = `${baseUrl}${new URL(c.req.url).pathname.replace(/^.*?(\/rest\/)/, '/rest/')}`;
  return {
    self: `${self}?startAt=${startAt}&maxResults=${maxResults}`,
    ...(isLast ? {} : { nextPage: `${self}?startAt=${startAt + maxResults}&maxResults=${maxResults}` }),
    maxResults,
    startAt,
    total: all.length,
    isLast,
    values,
  };
}

export function splitList(values: (string | undefined)[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => (v ?? '').split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}
