import { z } from 'zod';
import { usesJiraWebhookApi } from '../deployment.js';
import {
  adminWebhookDc10Schema,
  adminWebhookV1Schema,
  type DynamicWebhook,
  dynamicWebhookRefreshSchema,
  dynamicWebhookRegistrationSchema,
  dynamicWebhookSchema,
  pageOf,
} from '../schemas.js';
import { type CallOptions, callOptions, type JiraContext, seg } from './context.js';

/** An admin webhook (Jira Administration → System → WebHooks), the same shape on every API. */
export type AdminWebhook = {
  id: string;
  name: string;
  url: string;
  events: string[];
  /** JQL restricting issue events (the seed's per-project filter). */
  jql: string | undefined;
  enabled: boolean;
  excludeBody: boolean;
};

export type AdminWebhookInput = {
  name: string;
  url: string;
  events: readonly string[];
  jql?: string;
  excludeBody?: boolean;
  enabled?: boolean;
  /**
   * HMAC secret: Jira then signs each delivery (X-Hub-Signature: sha256=…). Write-only:
   * Jira never returns it. Leave undefined on update to keep the current one.
   */
  secret?: string;
};

/** The events the seed procedure's webhook subscribes to (issue, version and project changes). */
export const TESTBRIDGE_WEBHOOK_EVENTS = [
  'jira:issue_updated',
  'jira:issue_deleted',
  'jira:version_released',
  'jira:version_unreleased',
  'jira:version_created',
  'jira:version_moved',
  'jira:version_updated',
  'jira:version_deleted',
  'project_updated',
  'project_deleted',
] as const;

const V1_PATH = '/rest/webhooks/1.0/webhook';
const DC10_PATH = '/rest/jira-webhook/1.0/webhooks';
/** The filter key the v1 API uses for issue events. */
const ISSUE_FILTER = 'issue-related-events-section';

type V1 = z.infer<typeof adminWebhookV1Schema>;
type Dc10 = z.infer<typeof adminWebhookDc10Schema>;

function idFromSelf(self: string | undefined): string {
  const last = self?.replace(/\/+$/, '').split('/').pop();
  return last ?? '';
}

function fromV1(w: V1): AdminWebhook {
  return {
    id: w.id !== undefined ? String(w.id) : idFromSelf(w.self),
    name: w.name ?? '',
    url: w.url,
    events: w.events ?? [],
    jql: w.filters?.[ISSUE_FILTER] ?? w.jqlFilter ?? undefined,
    enabled: w.enabled ?? true,
    excludeBody: w.excludeBody ?? w.excludeIssueDetails ?? false,
  };
}

function fromDc10(w: Dc10): AdminWebhook {
  const config = w.configuration ?? {};
  const filters = config.FILTERS;
  const exclude = config.EXCLUDE_BODY;
  return {
    id: String(w.id),
    name: w.name ?? '',
    url: w.url,
    events: w.events ?? [],
    jql: typeof filters === 'string' && filters ? filters : undefined,
    enabled: w.active ?? true,
    excludeBody: exclude === true || exclude === 'true',
  };
}

function toV1(input: AdminWebhookInput) {
  return {
    name: input.name,
    url: input.url,
    events: input.events,
    filters: { [ISSUE_FILTER]: input.jql ?? '' },
    excludeBody: input.excludeBody ?? false,
    enabled: input.enabled ?? true,
    ...(input.secret !== undefined ? { secret: input.secret } : {}),
  };
}

function toDc10(input: AdminWebhookInput) {
  return {
    name: input.name,
    url: input.url,
    events: input.events,
    active: input.enabled ?? true,
    configuration: { FILTERS: input.jql ?? '', EXCLUDE_BODY: String(input.excludeBody ?? false) },
    ...(input.secret !== undefined ? { secret: input.secret } : {}),
  };
}

/** DC 10 answers its list as an array or a page depending on version: accept both. */
const dc10List = z.union([z.array(adminWebhookDc10Schema), pageOf(adminWebhookDc10Schema)]);

export async function listAdminWebhooks(ctx: JiraContext, o?: CallOptions): Promise<AdminWebhook[]> {
  if (usesJiraWebhookApi(await ctx.deployment())) {
    const res = await ctx.transport.request({
      method: 'GET',
      path: DC10_PATH,
      schema: dc10List,
      ...callOptions(o),
    });
    const list = Array.isArray(res.data) ? res.data : res.data.values;
    return list.map(fromDc10);
  }
  const res = await ctx.transport.request({
    method: 'GET',
    path: V1_PATH,
    schema: z.array(adminWebhookV1Schema),
    ...callOptions(o),
  });
  return res.data.map(fromV1);
}

export async function getAdminWebhook(ctx: JiraContext, id: string, o?: CallOptions): Promise<AdminWebhook> {
  if (usesJiraWebhookApi(await ctx.deployment())) {
    const res = await ctx.transport.request({
      method: 'GET',
      path: `${DC10_PATH}/${seg(id)}`,
      schema: adminWebhookDc10Schema,
      ...callOptions(o),
    });
    return fromDc10(res.data);
  }
  const res = await ctx.transport.request({
    method: 'GET',
    path: `${V1_PATH}/${seg(id)}`,
    schema: adminWebhookV1Schema,
    ...callOptions(o),
  });
  return fromV1(res.data);
}

export async function createAdminWebhook(
  ctx: JiraContext,
  input: AdminWebhookInput,
  o?: CallOptions,
): Promise<AdminWebhook> {
  if (usesJiraWebhookApi(await ctx.deployment())) {
    const res = await ctx.transport.request({
      method: 'POST',
      path: DC10_PATH,
      json: toDc10(input),
      schema: adminWebhookDc10Schema,
      ...callOptions(o),
    });
    return fromDc10(res.data);
  }
  const res = await ctx.transport.request({
    method: 'POST',
    path: V1_PATH,
    json: toV1(input),
    schema: adminWebhookV1Schema,
    ...callOptions(o),
  });
  return fromV1(res.data);
}

export async function updateAdminWebhook(
  ctx: JiraContext,
  id: string,
  input: AdminWebhookInput,
  o?: CallOptions,
): Promise<AdminWebhook> {
  if (usesJiraWebhookApi(await ctx.deployment())) {
    const res = await ctx.transport.request({
      method: 'PUT',
      path: `${DC10_PATH}/${seg(id)}`,
      json: toDc10(input),
      schema: adminWebhookDc10Schema,
      ...callOptions(o),
    });
    return fromDc10(res.data);
  }
  const res = await ctx.transport.request({
    method: 'PUT',
    path: `${V1_PATH}/${seg(id)}`,
    json: toV1(input),
    schema: adminWebhookV1Schema,
    ...callOptions(o),
  });
  return fromV1(res.data);
}

export async function deleteAdminWebhook(ctx: JiraContext, id: string, o?: CallOptions): Promise<void> {
  const base = usesJiraWebhookApi(await ctx.deployment()) ? DC10_PATH : V1_PATH;
  await ctx.transport.request({ method: 'DELETE', path: `${base}/${seg(id)}`, ...callOptions(o) });
}

/**
 * Cloud dynamic webhooks (OAuth 2.0 apps): registered by the app itself, expire after 30
 * days unless refreshed. Each entry yields an id or Jira's reasons for refusing it.
 */
export type DynamicWebhookInput = {
  jqlFilter: string;
  events: readonly string[];
  fieldIdsFilter?: readonly string[];
};
export type DynamicWebhookRegistration = { createdWebhookId?: number; errors?: string[] };

const DYNAMIC_PATH = '/rest/api/2/webhook';

export async function registerDynamicWebhooks(
  ctx: JiraContext,
  url: string,
  webhooks: readonly DynamicWebhookInput[],
  o?: CallOptions,
): Promise<DynamicWebhookRegistration[]> {
  const res = await ctx.transport.request({
    method: 'POST',
    path: DYNAMIC_PATH,
    json: { url, webhooks },
    schema: dynamicWebhookRegistrationSchema,
    ...callOptions(o),
  });
  return res.data.webhookRegistrationResult.map((r) => ({
    ...(r.createdWebhookId !== undefined ? { createdWebhookId: r.createdWebhookId } : {}),
    ...(r.errors ? { errors: r.errors } : {}),
  }));
}

export async function listDynamicWebhooks(ctx: JiraContext, o?: CallOptions): Promise<DynamicWebhook[]> {
  const all: DynamicWebhook[] = [];
  let startAt = 0;
  for (;;) {
    const res = await ctx.transport.request({
      method: 'GET',
      path: DYNAMIC_PATH,
      query: { startAt, maxResults: 100 },
      schema: pageOf(dynamicWebhookSchema),
      ...callOptions(o),
    });
    all.push(...res.data.values);
    startAt += res.data.values.length;
    const done =
      res.data.values.length === 0 ||
      res.data.isLast === true ||
      (res.data.total !== undefined && startAt >= res.data.total);
    if (done) return all;
  }
}

export async function deleteDynamicWebhooks(
  ctx: JiraContext,
  ids: readonly number[],
  o?: CallOptions,
): Promise<void> {
  if (ids.length === 0) return;
  await ctx.transport.request({
    method: 'DELETE',
    path: DYNAMIC_PATH,
    json: { webhookIds: ids },
    ...callOptions(o),
  });
}

/** Extends the 30-day life of dynamic webhooks; returns the new expiry (ms since epoch) when Jira says. */
export async function refreshDynamicWebhooks(
  ctx: JiraContext,
  ids: readonly number[],
  o?: CallOptions,
): Promise<number | undefined> {
  const res = await ctx.transport.request({
    method: 'PUT',
    path: `${DYNAMIC_PATH}/refresh`,
    json: { webhookIds: ids },
    schema: dynamicWebhookRefreshSchema,
    ...callOptions(o),
  });
  const at = res.data.expirationDate;
  if (at === undefined) return undefined;
  const ms = typeof at === 'number' ? at : Date.parse(at);
  return Number.isNaN(ms) ? undefined : ms;
}
