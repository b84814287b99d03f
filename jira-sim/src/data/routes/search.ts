/**
 * JQL search. Server/DC: /rest/api/2/search with startAt/maxResults/total. Cloud: the old
 * endpoints answer 410 Gone (as Atlassian retired them) and /search/jql pages with an opaque
 * nextPageToken and refuses unbounded queries.
 */
import { JiraError } from '../errors.js';
import { parseJql } from '../jql.js';
import type { ApiVersion } from '../render.js';
import { type App, apiPrefixes, type Ctx, type Obj, readJson, type RouteDeps, splitList } from './common.js';

const SERVER_MAX_RESULTS = 1000;
const CLOUD_MAX_RESULTS = 100;
const CLOUD_MAX_ID_ONLY = 5000;
const DEFAULT_MAX_RESULTS = 50;

type SearchParams = {
  jql: string;
  startAt: number;
  maxResults: number | undefined;
  fields: string[] | undefined;
  expand: Set<string>;
  validation: 'strict' | 'warn';
  nextPageToken: string | undefined;
};

function toInt(name: string, value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new JiraError(400, [`The '${name}' parameter must be a non-negative integer.`]);
  return n;
}

function listOf(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map(String);
  return [String(value)];
}

async function readParams(c: Ctx): Promise<SearchParams> {
  let raw: Obj;
  if (c.req.method === 'POST') raw = await readJson(c, { optional: true });
  else {
    raw = {
      jql: c.req.query('jql'),
      startAt: c.req.query('startAt'),
      maxResults: c.req.query('maxResults'),
      fields: c.req.queries('fields'),
      expand: c.req.queries('expand'),
      validateQuery: c.req.query('validateQuery'),
      nextPageToken: c.req.query('nextPageToken'),
    };
  }
  const validate = String(raw.validateQuery ?? 'strict').toLowerCase();
  return {
    jql: typeof raw.jql === 'string' ? raw.jql : '',
    startAt: toInt('startAt', raw.startAt) ?? 0,
    maxResults: toInt('maxResults', raw.maxResults),
    fields: listOf(raw.fields),
    expand: new Set(splitList(listOf(raw.expand))),
    validation: validate === 'warn' || validate === 'false' || validate === 'none' ? 'warn' : 'strict',
    nextPageToken: typeof raw.nextPageToken === 'string' && raw.nextPageToken ? raw.nextPageToken : undefined,
  };
}

export function registerSearchRoutes(app: App, deps: RouteDeps): void {
  const { ctx } = deps;

  if (ctx.flavor === 'cloud') {
    const gone = (c: Ctx) =>
      c.json(
        {
          errorMessages: [
            'The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046',
          ],
          errors: {},
        },
        410,
      );
    for (const prefix of ['/rest/api/2', '/rest/api/3', '/rest/api/latest']) {
      app.get(`${prefix}/search`, gone);
      app.post(`${prefix}/search`, gone);
    }
    for (const { prefix, version } of apiPrefixes(ctx)) {
      const handler = async (c: Ctx) => cloudSearch(c, version);
      app.get(`${prefix}/search/jql`, handler);
      app.post(`${prefix}/search/jql`, handler);
      // The enhanced search has no total; Cloud offers an estimate for progress bars instead.
      app.post(`${prefix}/search/approximate-count`, async (c) => {
        const user = deps.service.requireUser(c.get('user'));
        const body = await readJson(c);
        const jql = typeof body.jql === 'string' ? body.jql : '';
        if (parseJql(jql).where === null) {
          throw new JiraError(400, [
            'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.',
          ]);
        }
        return c.json({ count: deps.search.run(jql, user, 'strict').issues.length });
      });
    }
  } else {
    for (const { prefix, version } of apiPrefixes(ctx)) {
      const handler = async (c: Ctx) => serverSearch(c, version);
      app.get(`${prefix}/search`, handler);
      app.post(`${prefix}/search`, handler);
    }
  }

  async function serverSearch(c: Ctx, version: ApiVersion) {
    const user = deps.service.requireUser(c.get('user'));
    const params = await readParams(c);
    const maxResults = Math.min(params.maxResults ?? DEFAULT_MAX_RESULTS, SERVER_MAX_RESULTS);
    const result = deps.search.run(params.jql, user, params.validation);
    const fields = params.fields ?? ['*navigable'];
    const page = result.issues.slice(params.startAt, params.startAt + maxResults);
    return c.json({
      expand: 'schema,names',
      startAt: params.startAt,
      maxResults,
      total: result.issues.length,
      issues: page.map((i) => deps.render.issue(i, { fields, expand: params.expand, apiVersion: version })),
      ...(result.warnings.length ? { warningMessages: result.warnings } : {}),
    });
  }

  async function cloudSearch(c: Ctx, version: ApiVersion) {
    const user = deps.service.requireUser(c.get('user'));
    const params = await readParams(c);
    if (parseJql(params.jql).where === null) {
      throw new JiraError(400, [
        'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.',
      ]);
    }
    // The enhanced search returns only ids unless fields are asked for.
    const fields = params.fields ?? ['id'];
    const idOnly = fields.flatMap((f) => f.split(',')).every((f) => f.trim() === 'id' || f.trim() === 'key');
    const limit = idOnly ? CLOUD_MAX_ID_ONLY : CLOUD_MAX_RESULTS;
    const maxResults = Math.min(params.maxResults ?? DEFAULT_MAX_RESULTS, limit);
    const offset = params.nextPageToken ? decodeToken(params.nextPageToken, params.jql) : 0;
    const result = deps.search.run(params.jql, user, params.validation);
    const page = result.issues.slice(offset, offset + maxResults);
    const next = offset + page.length;
    const isLast = next >= result.issues.length;
    return c.json({
      issues: page.map((i) => {
        const full = deps.render.issue(i, { fields, expand: params.expand, apiVersion: version });
        if (idOnly) {
          const wantsKey = fields.some((f) => f.split(',').some((x) => x.trim() === 'key'));
          return wantsKey ? { id: full.id, key: full.key } : { id: full.id };
        }
        return full;
      }),
      ...(isLast ? {} : { nextPageToken: encodeToken(next, params.jql) }),
      isLast,
      ...(result.warnings.length ? { warningMessages: result.warnings } : {}),
    });
  }
}

/** Tokens bind the offset to the query, so a token reused with other JQL is refused. */
function encodeToken(offset: number, jql: string): string {
  return Buffer.from(JSON.stringify({ o: offset, h: hash(jql) })).toString('base64url');
}

function decodeToken(token: string, jql: string): number {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      o?: unknown;
      h?: unknown;
    };
    if (typeof value.o === 'number' && Number.isInteger(value.o) && value.o >= 0 && value.h === hash(jql))
      return value.o;
  } catch {
    // falls through to Jira's refusal
  }
  throw new JiraError(400, ['The provided next page token is invalid or expired.']);
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}
