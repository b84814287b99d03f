import { z } from 'zod';
import { usesLegacyCreateMeta } from '../deployment.js';
import { JiraApiError } from '../errors.js';
import {
  type FieldMeta,
  fieldMetaSchema,
  issueTypeSchema,
  type JiraIssueType,
  legacyCreateMetaSchema,
} from '../schemas.js';
import { type CallOptions, callOptions, type JiraContext, parseItems, seg } from './context.js';

/** Cloud names the list `issueTypes`/`fields`, DC 9+ names it `values`: accept either. */
const newStylePage = z.looseObject({
  startAt: z.number().optional(),
  maxResults: z.number().optional(),
  total: z.number().optional(),
  isLast: z.boolean().optional(),
  values: z.array(z.unknown()).optional(),
  issueTypes: z.array(z.unknown()).optional(),
  fields: z.array(z.unknown()).optional(),
});

async function* newStylePages(
  ctx: JiraContext,
  path: string,
  o: CallOptions | undefined,
): AsyncGenerator<unknown[]> {
  let startAt = 0;
  const pageSize = 50;
  for (;;) {
    const res = await ctx.transport.request({
      method: 'GET',
      path,
      query: { startAt, maxResults: pageSize },
      schema: newStylePage,
      ...callOptions(o),
    });
    const items = res.data.values ?? res.data.issueTypes ?? res.data.fields ?? [];
    yield items;
    startAt += items.length;
    const done =
      items.length === 0 ||
      res.data.isLast === true ||
      (res.data.total !== undefined && startAt >= res.data.total);
    if (done) return;
  }
}

function noCreateMeta(projectKey: string, path: string): JiraApiError {
  return new JiraApiError(
    'jira_not_found',
    `Jira returned no create metadata for project ${projectKey}: it does not exist or the account cannot create issues in it.`,
    {
      status: 404,
      jiraStatus: 200,
      method: 'GET',
      path,
      hint: 'Check the project key and give the Jira account the Create Issues permission in that project.',
    },
  );
}

async function legacyCreateMeta(
  ctx: JiraContext,
  projectKey: string,
  issueTypeId: string | undefined,
  o?: CallOptions,
) {
  const path = '/rest/api/2/issue/createmeta';
  const res = await ctx.transport.request({
    method: 'GET',
    path,
    query: {
      projectKeys: projectKey,
      ...(issueTypeId ? { issuetypeIds: issueTypeId, expand: 'projects.issuetypes.fields' } : {}),
    },
    schema: legacyCreateMetaSchema,
    ...callOptions(o),
  });
  const project = res.data.projects.find((p) => p.key === projectKey || p.id === projectKey);
  if (!project) throw noCreateMeta(projectKey, path);
  return { project, path };
}

/** Issue types the account can create in a project (both createmeta styles). */
export async function createMetaIssueTypes(
  ctx: JiraContext,
  projectIdOrKey: string,
  o?: CallOptions,
): Promise<JiraIssueType[]> {
  if (usesLegacyCreateMeta(await ctx.deployment())) {
    const { project } = await legacyCreateMeta(ctx, projectIdOrKey, undefined, o);
    return project.issuetypes.map(({ fields: _fields, ...type }) => type);
  }
  const result: JiraIssueType[] = [];
  const path = `/rest/api/2/issue/createmeta/${seg(projectIdOrKey)}/issuetypes`;
  for await (const page of newStylePages(ctx, path, o))
    result.push(...parseItems(issueTypeSchema, page, path));
  return result;
}

/** Fields of the create screen for one issue type; `fieldId` is always set. */
export async function createMetaFields(
  ctx: JiraContext,
  projectIdOrKey: string,
  issueTypeId: string,
  o?: CallOptions,
): Promise<FieldMeta[]> {
  if (usesLegacyCreateMeta(await ctx.deployment())) {
    const { project, path } = await legacyCreateMeta(ctx, projectIdOrKey, issueTypeId, o);
    const type = project.issuetypes.find((t) => t.id === issueTypeId);
    if (!type) throw noCreateMeta(projectIdOrKey, path);
    return Object.entries(type.fields ?? {}).map(([fieldId, meta]) => ({
      ...meta,
      fieldId: meta.fieldId ?? fieldId,
    }));
  }
  const path = `/rest/api/2/issue/createmeta/${seg(projectIdOrKey)}/issuetypes/${seg(issueTypeId)}`;
  const fields: FieldMeta[] = [];
  for await (const page of newStylePages(ctx, path, o)) {
    for (const raw of parseItems(fieldMetaSchema, page, path)) {
      fields.push({ ...raw, fieldId: raw.fieldId ?? raw.key ?? raw.name });
    }
  }
  return fields;
}
