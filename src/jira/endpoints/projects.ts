import { z } from 'zod';
import { type JiraProject, type JiraVersion, pageOf, projectSchema, versionSchema } from '../schemas.js';
import { type CallOptions, callOptions, type JiraContext, seg } from './context.js';

const projectPageSchema = pageOf(projectSchema);

/**
 * Projects the account can see, a page at a time. Cloud pages through /project/search;
 * Server/DC's /project answers everything at once, so that is a single page.
 */
export async function* projectPages(
  ctx: JiraContext,
  options: { pageSize?: number } & CallOptions = {},
): AsyncGenerator<JiraProject[]> {
  const d = await ctx.deployment();
  if (!d.cloud) {
    const res = await ctx.transport.request({
      method: 'GET',
      path: '/rest/api/2/project',
      schema: z.array(projectSchema),
      ...callOptions(options),
    });
    yield res.data;
    return;
  }
  const pageSize = options.pageSize ?? 50;
  let startAt = 0;
  for (;;) {
    const res = await ctx.transport.request({
      method: 'GET',
      path: '/rest/api/2/project/search',
      query: { startAt, maxResults: pageSize },
      schema: projectPageSchema,
      ...callOptions(options),
    });
    const values = res.data.values;
    if (values.length) yield values;
    startAt += values.length;
    const done =
      values.length === 0 ||
      res.data.isLast === true ||
      (res.data.total !== undefined && startAt >= res.data.total);
    if (done) return;
  }
}

export async function listProjects(ctx: JiraContext, o?: CallOptions): Promise<JiraProject[]> {
  const all: JiraProject[] = [];
  for await (const page of projectPages(ctx, o)) all.push(...page);
  return all;
}

export async function getProject(
  ctx: JiraContext,
  projectIdOrKey: string,
  o?: CallOptions,
): Promise<JiraProject> {
  const res = await ctx.transport.request({
    method: 'GET',
    path: `/rest/api/2/project/${seg(projectIdOrKey)}`,
    schema: projectSchema,
    ...callOptions(o),
  });
  return res.data;
}

export async function projectVersions(
  ctx: JiraContext,
  projectIdOrKey: string,
  o?: CallOptions,
): Promise<JiraVersion[]> {
  const res = await ctx.transport.request({
    method: 'GET',
    path: `/rest/api/2/project/${seg(projectIdOrKey)}/versions`,
    schema: z.array(versionSchema),
    ...callOptions(o),
  });
  return res.data;
}
