/**
 * Webhook management. Admin webhooks: /rest/webhooks/1.0/webhook (Cloud, Server, DC 9) or
 * /rest/jira-webhook/1.0/webhooks (DC 10, which also changed the JSON to `configuration`).
 * Cloud dynamic webhooks for OAuth 2.0 apps: /rest/api/{2,3}/webhook, expiring 30 days after
 * registration or the last refresh. Secrets are accepted but never echoed back.
 */
import { ALL_EVENTS } from '../events.js';
import { JiraError, forbidden, notFound } from '../errors.js';
import { compileJql, parseJql } from '../jql.js';
import { type AdminWebhook, DYNAMIC_WEBHOOK_LIFETIME_MS, type DynamicWebhook } from '../webhooks/hub.js';
import { type App, type Ctx, intParam, type Obj, readJson, type RouteDeps } from './common.js';

const DYNAMIC_EVENTS = new Set([
  'jira:issue_created',
  'jira:issue_updated',
  'jira:issue_deleted',
  'comment_created',
  'comment_updated',
  'comment_deleted',
  'issue_property_set',
  'issue_property_deleted',
]);
const MAX_DYNAMIC_PER_APP = 100;

export function registerWebhookRoutes(app: App, deps: RouteDeps): void {
  const { ctx } = deps;
  const dc10 = ctx.flavor === 'dc10';
  const base = dc10 ? '/rest/jira-webhook/1.0/webhooks' : '/rest/webhooks/1.0/webhook';

  /** Refuses JQL Jira would refuse, with Jira's message. */
  const checkJql = (jql: string) => {
    if (!jql.trim()) return;
    compileJql(parseJql(jql), {
      ctx,
      store: deps.store,
      user: undefined,
      validation: 'strict',
      system: true,
    });
  };

  const adminJson = (hook: AdminWebhook) => {
    const updater = hook.lastUpdatedUserKey ? ctx.findUser(hook.lastUpdatedUserKey) : undefined;
    const self = `${ctx.baseUrl}${base}/${hook.id}`;
    if (dc10) {
      return {
        id: hook.id,
        name: hook.name,
        description: hook.description,
        url: hook.url,
        active: hook.enabled,
        events: hook.events,
        configuration: {
          FILTERS: hook.jqlFilter,
          EXCLUDE_BODY: String(hook.excludeBody),
          DESCRIPTION: hook.description,
        },
        createdDate: hook.created,
        updatedDate: hook.lastUpdated,
        sslVerificationRequired: true,
        self,
      };
    }
    return {
      name: hook.name,
      url: hook.url,
      excludeBody: hook.excludeBody,
      filters: { 'issue-related-events-section': hook.jqlFilter },
      events: hook.events,
      enabled: hook.enabled,
      self,
      lastUpdatedUser: updater ? (ctx.flavor === 'cloud' ? updater.accountId : updater.key) : null,
      lastUpdatedDisplayName: updater?.displayName ?? null,
      lastUpdated: hook.lastUpdated,
    };
  };

  const parseAdmin = (
    body: Obj,
    existing?: AdminWebhook,
  ): Omit<AdminWebhook, 'id' | 'created' | 'lastUpdated' | 'lastUpdatedUserKey'> => {
    const config =
      typeof body.configuration === 'object' && body.configuration !== null
        ? (body.configuration as Obj)
        : {};
    const filters = typeof body.filters === 'object' && body.filters !== null ? (body.filters as Obj) : {};
    const errors: Record<string, string> = {};
    const name = typeof body.name === 'string' ? body.name.trim() : (existing?.name ?? '');
    if (!name) errors.name = 'The webhook name must not be empty.';
    const url = typeof body.url === 'string' ? body.url.trim() : (existing?.url ?? '');
    try {
      const parsed = new URL(url.replace(/\$\{[^}]*\}/g, 'x'));
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
    } catch {
      errors.url = `The webhook URL '${url}' is not a valid http(s) URL.`;
    }
    let events = existing?.events ?? [];
    if (body.events !== undefined) {
      if (!Array.isArray(body.events) || body.events.some((e) => typeof e !== 'string'))
        errors.events = 'events must be an array of event names.';
      else {
        const unknown = (body.events as string[]).filter(
          (e) => !(ALL_EVENTS as readonly string[]).includes(e),
        );
        if (unknown.length) errors.events = `Unknown webhook event(s): ${unknown.join(', ')}.`;
        events = [...new Set(body.events as string[])];
      }
    }
    const jqlRaw = filters['issue-related-events-section'] ?? config.FILTERS;
    const jqlFilter = typeof jqlRaw === 'string' ? jqlRaw : (existing?.jqlFilter ?? '');
    if (Object.keys(errors).length) throw new JiraError(400, [], errors);
    checkJql(jqlFilter);
    const excludeRaw = body.excludeBody ?? body.excludeIssueDetails ?? config.EXCLUDE_BODY;
    const excludeBody =
      excludeRaw === undefined
        ? (existing?.excludeBody ?? false)
        : excludeRaw === true || excludeRaw === 'true';
    const enabledRaw = body.enabled ?? body.active;
    const enabled =
      enabledRaw === undefined ? (existing?.enabled ?? true) : enabledRaw === true || enabledRaw === 'true';
    const secret =
      typeof body.secret === 'string'
        ? body.secret === ''
          ? null
          : body.secret
        : (existing?.secret ?? null);
    const descriptionRaw = body.description ?? config.DESCRIPTION;
    return {
      name,
      url,
      events,
      jqlFilter,
      excludeBody,
      enabled,
      secret,
      description: typeof descriptionRaw === 'string' ? descriptionRaw : (existing?.description ?? ''),
    };
  };

  const findAdmin = (c: Ctx) => {
    const hook = deps.hooks.admin.get(Number(c.req.param('id')));
    if (!hook) throw notFound(`Webhook with id ${c.req.param('id')} does not exist.`);
    return hook;
  };

  app.get(base, (c) => {
    deps.service.requireAdmin(c.get('user'));
    return c.json([...deps.hooks.admin.values()].map(adminJson));
  });
  app.post(base, async (c) => {
    const actor = deps.service.requireAdmin(c.get('user'));
    const fields = parseAdmin(await readJson(c));
    const now = ctx.clock.now();
    const hook: AdminWebhook = {
      id: deps.hooks.newAdminId(),
      ...fields,
      created: now,
      lastUpdated: now,
      lastUpdatedUserKey: actor.key,
    };
    deps.hooks.admin.set(hook.id, hook);
    return c.json(adminJson(hook), 201);
  });
  app.get(`${base}/:id`, (c) => {
    deps.service.requireAdmin(c.get('user'));
    return c.json(adminJson(findAdmin(c)));
  });
  app.put(`${base}/:id`, async (c) => {
    const actor = deps.service.requireAdmin(c.get('user'));
    const hook = findAdmin(c);
    Object.assign(hook, parseAdmin(await readJson(c), hook), {
      lastUpdated: ctx.clock.now(),
      lastUpdatedUserKey: actor.key,
    });
    return c.json(adminJson(hook));
  });
  app.delete(`${base}/:id`, (c) => {
    deps.service.requireAdmin(c.get('user'));
    const hook = findAdmin(c);
    deps.hooks.admin.delete(hook.id);
    return c.body(null, 204);
  });

  if (ctx.flavor !== 'cloud') return;

  // --- Cloud dynamic webhooks ------------------------------------------------------------
  const requireApp = (c: Ctx) => {
    const user = deps.service.requireUser(c.get('user'));
    if (c.get('authKind') !== 'oauth2')
      throw forbidden('Only Connect and OAuth 2.0 apps can use this operation.');
    return user;
  };
  const dynamicJson = (hook: DynamicWebhook) => ({
    id: hook.id,
    jqlFilter: hook.jqlFilter,
    ...(hook.fieldIdsFilter ? { fieldIdsFilter: hook.fieldIdsFilter } : {}),
    events: hook.events,
    expirationDate: hook.expiresAt,
  });
  const idsOf = (body: Obj): number[] => {
    const ids = body.webhookIds;
    if (!Array.isArray(ids) || ids.length === 0 || ids.some((id) => !Number.isInteger(Number(id))))
      throw new JiraError(400, [], { webhookIds: 'webhookIds must be a non-empty array of webhook ids.' });
    return ids.map(Number);
  };

  for (const prefix of ['/rest/api/2', '/rest/api/3', '/rest/api/latest']) {
    app.post(`${prefix}/webhook`, async (c) => {
      const user = requireApp(c);
      const body = await readJson(c);
      const url = typeof body.url === 'string' ? body.url : '';
      try {
        new URL(url);
      } catch {
        throw new JiraError(400, [], { url: 'The webhook URL must be a valid URL.' });
      }
      if (!Array.isArray(body.webhooks))
        throw new JiraError(400, [], { webhooks: 'webhooks must be an array.' });
      const mine = [...deps.hooks.dynamic.values()].filter((h) => h.ownerKey === user.key).length;
      let count = mine;
      const results = body.webhooks.map((spec: unknown) => {
        const s = (typeof spec === 'object' && spec !== null ? spec : {}) as Obj;
        const errors: string[] = [];
        const events = Array.isArray(s.events)
          ? s.events.filter((e): e is string => typeof e === 'string')
          : [];
        if (events.length === 0) errors.push('Webhook must have at least one event.');
        for (const e of events) if (!DYNAMIC_EVENTS.has(e)) errors.push(`Event '${e}' is not supported.`);
        const jql = typeof s.jqlFilter === 'string' ? s.jqlFilter : '';
        if (!jql.trim()) errors.push('The JQL filter is required.');
        else {
          try {
            const q = parseJql(jql);
            if (q.orderBy.length) errors.push('The JQL filter must not contain ORDER BY.');
            compileJql(q, { ctx, store: deps.store, user, validation: 'strict' });
          } catch (e) {
            errors.push(
              `Invalid JQL: ${e instanceof JiraError ? e.message : 'the query could not be parsed.'}`,
            );
          }
        }
        if (count >= MAX_DYNAMIC_PER_APP)
          errors.push(`An app can register at most ${MAX_DYNAMIC_PER_APP} webhooks.`);
        if (errors.length) return { errors };
        count++;
        const hook: DynamicWebhook = {
          id: deps.hooks.newDynamicId(),
          ownerKey: user.key,
          url,
          events,
          jqlFilter: jql,
          fieldIdsFilter: Array.isArray(s.fieldIdsFilter) ? s.fieldIdsFilter.map(String) : null,
          expiresAt: ctx.clock.now() + DYNAMIC_WEBHOOK_LIFETIME_MS,
        };
        deps.hooks.dynamic.set(hook.id, hook);
        return { createdWebhookId: hook.id };
      });
      return c.json({ webhookRegistrationResult: results });
    });
    app.get(`${prefix}/webhook`, (c) => {
      const user = requireApp(c);
      const all = [...deps.hooks.dynamic.values()].filter((h) => h.ownerKey === user.key).map(dynamicJson);
      const startAt = intParam(c, 'startAt', 0);
      const maxResults = Math.min(intParam(c, 'maxResults', 100), 100);
      const values = all.slice(startAt, startAt + maxResults);
      return c.json({
        isLast: startAt + values.length >= all.length,
        maxResults,
        startAt,
        total: all.length,
        values,
      });
    });
    app.delete(`${prefix}/webhook`, async (c) => {
      const user = requireApp(c);
      for (const id of idsOf(await readJson(c))) {
        const hook = deps.hooks.dynamic.get(id);
        if (hook && hook.ownerKey === user.key) deps.hooks.dynamic.delete(id);
      }
      return c.body(null, 202);
    });
    app.put(`${prefix}/webhook/refresh`, async (c) => {
      const user = requireApp(c);
      const expiresAt = ctx.clock.now() + DYNAMIC_WEBHOOK_LIFETIME_MS;
      for (const id of idsOf(await readJson(c))) {
        const hook = deps.hooks.dynamic.get(id);
        if (hook && hook.ownerKey === user.key) hook.expiresAt = expiresAt;
      }
      return c.json({ expirationDate: expiresAt });
    });
  }
}
