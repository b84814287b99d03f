import type { JiraIssue } from '../schemas.js';
import { cloudSearchPageSchema, serverSearchPageSchema } from '../schemas.js';
import { type CallOptions, callOptions, type JiraContext } from './context.js';

export type SearchOptions = {
  /** Fields to return; Jira's default (navigable fields) is large, so pass what you need. */
  fields?: readonly string[];
  expand?: readonly string[];
  pageSize?: number;
  /** Resume a checkpointed import: Cloud's token, or Server/DC's offset. */
  resumeFrom?: { nextPageToken?: string; startAt?: number };
} & CallOptions;

export type SearchPage = {
  issues: JiraIssue[];
  /** Server/DC only: total matches when the page was read (moves as issues change). */
  total?: number;
  /** Server/DC: offset of this page. */
  startAt?: number;
  /** Cloud: token for the page after this one (a checkpoint for resumable imports). */
  nextPageToken?: string;
};

/**
 * JQL search, one page at a time so memory stays bounded however many issues match.
 * Cloud uses /rest/api/3/search/jql (token paging: offsets no longer exist there);
 * Server/DC uses /rest/api/2/search with startAt/maxResults/total.
 * POST keeps long JQL (id scans) out of URL length limits; it is a read, so retryable.
 */
export async function* searchPages(
  ctx: JiraContext,
  jql: string,
  options: SearchOptions = {},
): AsyncGenerator<SearchPage> {
  const d = await ctx.deployment();
  const pageSize = options.pageSize ?? 100;
  if (d.cloud) {
    // Cloud's search/jql returns only what `fields` names (default: just id), while
    // Server/DC always returns id and key and defaults to the navigable fields. Ask Cloud
    // for the same, so callers see one shape whichever Jira they talk to.
    const fields = options.fields ? [...new Set([...options.fields, 'key'])] : ['*navigable'];
    let nextPageToken: string | undefined = options.resumeFrom?.nextPageToken;
    for (;;) {
      const res = await ctx.transport.request({
        method: 'POST',
        path: '/rest/api/3/search/jql',
        json: {
          jql,
          maxResults: pageSize,
          fields,
          ...(options.expand ? { expand: options.expand.join(',') } : {}),
          ...(nextPageToken ? { nextPageToken } : {}),
        },
        schema: cloudSearchPageSchema,
        idempotent: true,
        ...callOptions(options),
      });
      const token = res.data.nextPageToken ?? undefined;
      yield { issues: res.data.issues, ...(token ? { nextPageToken: token } : {}) };
      // A token equal to the one we sent would loop forever; treat it as the end.
      if (res.data.isLast === true || !token || token === nextPageToken) return;
      nextPageToken = token;
    }
  }
  let startAt = options.resumeFrom?.startAt ?? 0;
  for (;;) {
    const res = await ctx.transport.request({
      method: 'POST',
      path: '/rest/api/2/search',
      json: {
        jql,
        startAt,
        maxResults: pageSize,
        ...(options.fields ? { fields: options.fields } : {}),
        ...(options.expand ? { expand: options.expand } : {}),
      },
      schema: serverSearchPageSchema,
      idempotent: true,
      ...callOptions(options),
    });
    const { issues, total } = res.data;
    yield { issues, startAt, ...(total !== undefined ? { total } : {}) };
    // Jira may cap maxResults below what we asked; advance by what actually came back.
    startAt += issues.length;
    if (issues.length === 0 || (total !== undefined && startAt >= total)) return;
  }
}

/** Every matching issue, streamed (pages are fetched as the caller consumes). */
export async function* searchIssues(
  ctx: JiraContext,
  jql: string,
  options: SearchOptions = {},
): AsyncGenerator<JiraIssue> {
  for await (const page of searchPages(ctx, jql, options)) yield* page.issues;
}
