/**
 * The webhook registries (admin webhooks and Cloud's dynamic webhooks for OAuth 2.0 apps)
 * and the fan-out from a data change to the deliveries it causes: only webhooks listening
 * for the event, only when their JQL filter matches the issue, only while not expired.
 */
import type { SimContext } from '../../context.js';
import type { EventSink, SimEvent } from '../events.js';
import type { Issue } from '../model.js';
import type { Renderer } from '../render.js';
import type { SearchEngine } from '../search.js';
import { WebhookDispatcher } from './dispatcher.js';
import { buildPayload } from './payloads.js';

export type AdminWebhook = {
  id: number;
  name: string;
  description: string;
  url: string;
  events: string[];
  jqlFilter: string;
  excludeBody: boolean;
  secret: string | null;
  enabled: boolean;
  lastUpdatedUserKey: string | null;
  created: number;
  lastUpdated: number;
};

export type DynamicWebhook = {
  id: number;
  ownerKey: string;
  url: string;
  events: string[];
  jqlFilter: string;
  fieldIdsFilter: string[] | null;
  expiresAt: number;
};

export const DYNAMIC_WEBHOOK_LIFETIME_MS = 30 * 24 * 3_600_000;

export class WebhookHub implements EventSink {
  readonly admin = new Map<number, AdminWebhook>();
  readonly dynamic = new Map<number, DynamicWebhook>();
  readonly dispatcher: WebhookDispatcher;
  private nextAdminId = 1;
  private nextDynamicId = 10000;

  constructor(
    private readonly ctx: SimContext,
    private readonly render: Renderer,
    private readonly search: SearchEngine,
  ) {
    this.dispatcher = new WebhookDispatcher(ctx);
  }

  reset(): void {
    this.admin.clear();
    this.dynamic.clear();
    this.nextAdminId = 1;
    this.nextDynamicId = 10000;
    this.dispatcher.reset();
  }

  newAdminId(): number {
    return this.nextAdminId++;
  }

  newDynamicId(): number {
    return this.nextDynamicId++;
  }

  emit(event: SimEvent): void {
    const now = this.ctx.clock.now();
    const issue = event.kind === 'issue' || event.kind === 'comment' ? event.issue : undefined;
    const targets: {
      id: number;
      source: 'admin' | 'dynamic';
      url: string;
      secret: string | null;
      excludeBody: boolean;
    }[] = [];
    for (const hook of this.admin.values()) {
      if (!hook.enabled || !hook.events.includes(event.name)) continue;
      // Admin webhooks filter only issue-related events by JQL ("issue-related-events-section").
      if (issue && hook.jqlFilter.trim() && !this.matches(hook.jqlFilter, issue, undefined)) continue;
      targets.push({
        id: hook.id,
        source: 'admin',
        url: expandUrl(hook.url, event),
        secret: hook.secret,
        excludeBody: hook.excludeBody,
      });
    }
    for (const hook of this.dynamic.values()) {
      if (hook.expiresAt <= now || !hook.events.includes(event.name)) continue;
      if (!issue || !this.matches(hook.jqlFilter, issue, this.ctx.findUser(hook.ownerKey))) continue;
      if (
        event.kind === 'issue' &&
        event.name === 'jira:issue_updated' &&
        hook.fieldIdsFilter &&
        !event.changelog?.items.some((i) => hook.fieldIdsFilter!.includes(i.fieldId))
      )
        continue;
      targets.push({ id: hook.id, source: 'dynamic', url: hook.url, secret: null, excludeBody: false });
    }
    if (targets.length === 0) return;
    const body = JSON.stringify(buildPayload(event, this.render, now));
    for (const t of targets) {
      this.dispatcher.enqueue(
        { webhookId: t.id, source: t.source, url: t.url, secret: t.secret, excludeBody: t.excludeBody },
        event.name,
        body,
      );
    }
  }

  private matches(jql: string, issue: Issue, user: ReturnType<SimContext['findUser']>): boolean {
    try {
      return this.search.matches(jql, issue, user);
    } catch {
      // A filter that stopped compiling (e.g. its project was deleted) matches nothing, as in Jira.
      return false;
    }
  }
}

/** Jira substitutes ${issue.key}-style variables in admin webhook URLs. */
function expandUrl(url: string, event: SimEvent): string {
  if (!url.includes('${')) return url;
  const vars: Record<string, string> = {};
  if (event.kind === 'issue' || event.kind === 'comment') {
    vars['issue.id'] = event.issue.id;
    vars['issue.key'] = event.issue.key;
    vars['project.id'] = event.issue.projectId;
  }
  if (event.kind === 'version') {
    vars['version.id'] = event.version.id;
    vars['project.id'] = event.version.projectId;
    if (event.mergedTo) vars['mergedVersion.id'] = event.mergedTo.id;
  }
  if (event.kind === 'project') {
    vars['project.id'] = event.project.id;
    vars['project.key'] = event.project.key;
  }
  if (event.user) {
    vars['modifiedUser.name'] = event.user.name;
    vars['modifiedUser.key'] = event.user.key;
    vars['modifiedUser.accountId'] = event.user.accountId;
  }
  return url.replace(/\$\{([A-Za-z.]+)\}/g, (whole, name: string) => encodeURIComponent(vars[name] ?? whole));
}
