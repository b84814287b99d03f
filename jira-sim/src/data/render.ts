/**
 * Turns model records into Jira's JSON shapes (REST responses and webhook payloads share
 * these, exactly as Jira's do). Users render per flavour: Cloud identifies people by
 * accountId only (GDPR mode), Server/DC by name and key.
 */
import type { SimContext, SimUser } from '../context.js';
import {
  findIssueType,
  findPriority,
  findResolution,
  findStatus,
  LINK_TYPES,
  STATUS_CATEGORIES,
  type IssueTypeDef,
  type StatusDef,
} from './catalog.js';
import type {
  Attachment,
  ChangeGroup,
  Comment,
  Component,
  Issue,
  IssueLink,
  Project,
  Store,
  Version,
} from './model.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
export type ApiVersion = '2' | '3';

/** Jira's timestamp format: `2026-11-29T04:02:17.000+0000` (the simulator runs in UTC). */
export function jiraDateTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}+0000`;
}

export function jiraDate(ms: number): string {
  return jiraDateTime(ms).slice(0, 10);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** `userReleaseDate` as Jira's default locale shows it: 29/Nov/26. */
function userDate(isoDate: string): string {
  const [y, m, d] = isoDate.split('-');
  return `${d}/${MONTHS[Number(m) - 1]}/${y?.slice(2)}`;
}

/** Atlassian Document Format for a plain-text value (Cloud v3 description and comment bodies). */
export function toAdf(text: string | null): Json {
  if (text === null) return null;
  return {
    type: 'doc',
    version: 1,
    content: text.split('\n').map((line) => ({
      type: 'paragraph',
      content: line ? [{ type: 'text', text: line }] : [],
    })),
  };
}

/** Plain text of an ADF document; paragraphs become lines. */
export function fromAdf(doc: unknown): string {
  const blocks: string[] = [];
  const inline = (node: unknown): string => {
    if (!node || typeof node !== 'object') return '';
    const n = node as { type?: unknown; text?: unknown; content?: unknown };
    if (typeof n.text === 'string') return n.text;
    if (n.type === 'hardBreak') return '\n';
    return Array.isArray(n.content) ? n.content.map(inline).join('') : '';
  };
  const content = (doc as { content?: unknown } | null)?.content;
  if (Array.isArray(content)) for (const block of content) blocks.push(inline(block));
  return blocks.join('\n');
}

export class Renderer {
  constructor(
    private readonly ctx: SimContext,
    private readonly store: Store,
  ) {}

  get api(): string {
    return `${this.ctx.baseUrl}/rest/api/2`;
  }

  avatarUrls(kind: 'user' | 'project', id: string): JsonObject {
    const base =
      kind === 'user'
        ? `${this.ctx.baseUrl}/secure/useravatar?ownerId=${encodeURIComponent(id)}`
        : `${this.ctx.baseUrl}/secure/projectavatar?pid=${id}`;
    return {
      '48x48': base,
      '24x24': `${base}&size=small`,
      '16x16': `${base}&size=xsmall`,
      '32x32': `${base}&size=medium`,
    };
  }

  /** The core owns the user shape (flavour-aware), so REST and webhooks agree with `myself`. */
  user(user: SimUser | undefined | null): Json {
    if (!user) return null;
    return this.ctx.userJson(user) as JsonObject;
  }

  userByKey(key: string | null): Json {
    return key === null ? null : this.user(this.ctx.findUser(key));
  }

  /** What a changelog item or JQL stores for a user: accountId on Cloud, name elsewhere. */
  userRef(key: string | null): string | null {
    if (key === null) return null;
    const user = this.ctx.findUser(key);
    if (!user) return key;
    return this.ctx.flavor === 'cloud' ? user.accountId : user.name;
  }

  private readonly staticCache = new Map<string, JsonObject>();

  /** Issue types, statuses and priorities never change: build each JSON object once. */
  private cached(key: string, build: () => JsonObject): JsonObject {
    let value = this.staticCache.get(key);
    if (!value) {
      value = build();
      this.staticCache.set(key, value);
    }
    return value;
  }

  issueType(type: IssueTypeDef): JsonObject {
    return this.cached(`t${type.id}`, () => ({
      self: `${this.api}/issuetype/${type.id}`,
      id: type.id,
      description: type.description,
      iconUrl: `${this.ctx.baseUrl}/secure/viewavatar?size=xsmall&avatarId=${type.avatarId}&avatarType=issuetype`,
      name: type.name,
      subtask: type.subtask,
      avatarId: type.avatarId,
      hierarchyLevel: type.hierarchyLevel,
    }));
  }

  status(status: StatusDef): JsonObject {
    const cat = STATUS_CATEGORIES[status.category];
    return this.cached(`s${status.id}`, () => ({
      self: `${this.api}/status/${status.id}`,
      description: status.description,
      iconUrl: `${this.ctx.baseUrl}/images/icons/statuses/generic.png`,
      name: status.name,
      id: status.id,
      statusCategory: {
        self: `${this.api}/statuscategory/${cat.id}`,
        id: cat.id,
        key: status.category,
        colorName: cat.colorName,
        name: cat.name,
      },
    }));
  }

  priority(id: string | null): Json {
    const p = id === null ? undefined : findPriority(id);
    if (!p) return null;
    return this.cached(`p${p.id}`, () => ({
      self: `${this.api}/priority/${p.id}`,
      iconUrl: `${this.ctx.baseUrl}/images/icons/priorities/${p.icon}.svg`,
      name: p.name,
      id: p.id,
    }));
  }

  resolution(id: string | null): Json {
    const r = id === null ? undefined : findResolution(id);
    if (!r) return null;
    return { self: `${this.api}/resolution/${r.id}`, id: r.id, description: r.description, name: r.name };
  }

  projectRef(project: Project): JsonObject {
    return {
      self: `${this.api}/project/${project.id}`,
      id: project.id,
      key: project.key,
      name: project.name,
      projectTypeKey: project.projectTypeKey,
      simplified: false,
      avatarUrls: this.avatarUrls('project', project.id),
    };
  }

  project(project: Project, expand: Set<string> = new Set(), full = false): JsonObject {
    const out: JsonObject = {
      expand: 'description,lead,issueTypes,url,projectKeys,permissions,insight',
      ...this.projectRef(project),
      archived: false,
    };
    if (full || expand.has('description')) out.description = project.description;
    if (full || expand.has('lead')) out.lead = this.userByKey(project.leadKey);
    if (full) {
      out.components = project.components.map((c) => this.component(c));
      out.versions = project.versions.map((v) => this.version(v));
      out.assigneeType = 'UNASSIGNED';
      out.roles = {};
    }
    if (full || expand.has('issueTypes') || expand.has('issuetypes')) {
      out.issueTypes = project.issueTypeIds.map((id) => this.issueType(findIssueType(id)!));
    }
    if (expand.has('projectKeys')) out.projectKeys = [project.key];
    return out;
  }

  version(version: Version): JsonObject {
    const now = this.ctx.clock.now();
    const out: JsonObject = {
      self: `${this.api}/version/${version.id}`,
      id: version.id,
      description: version.description,
      name: version.name,
      archived: version.archived,
      released: version.released,
    };
    if (version.startDate) out.startDate = version.startDate;
    if (version.releaseDate) {
      out.releaseDate = version.releaseDate;
      if (!version.released) out.overdue = Date.parse(`${version.releaseDate}T23:59:59Z`) < now;
      out.userReleaseDate = userDate(version.releaseDate);
    }
    out.projectId = Number(version.projectId);
    return out;
  }

  component(component: Component): JsonObject {
    return {
      self: `${this.api}/component/${component.id}`,
      id: component.id,
      name: component.name,
      description: component.description,
    };
  }

  comment(comment: Comment, apiVersion: ApiVersion = '2'): JsonObject {
    return {
      self: `${this.api}/issue/${comment.issueId}/comment/${comment.id}`,
      id: comment.id,
      author: this.userByKey(comment.authorKey),
      body: apiVersion === '3' ? toAdf(comment.body) : comment.body,
      updateAuthor: this.userByKey(comment.updateAuthorKey),
      created: jiraDateTime(comment.created),
      updated: jiraDateTime(comment.updated),
      jsdPublic: true,
    };
  }

  attachment(a: Attachment): JsonObject {
    return {
      self: `${this.api}/attachment/${a.id}`,
      id: a.id,
      filename: a.filename,
      author: this.userByKey(a.authorKey),
      created: jiraDateTime(a.created),
      size: a.content.byteLength,
      mimeType: a.mimeType,
      content: `${this.ctx.baseUrl}/secure/attachment/${a.id}/${encodeURIComponent(a.filename)}`,
    };
  }

  linkType(id: string): JsonObject {
    const t = LINK_TYPES.find((l) => l.id === id)!;
    return {
      id: t.id,
      name: t.name,
      inward: t.inward,
      outward: t.outward,
      self: `${this.api}/issueLinkType/${t.id}`,
    };
  }

  /** The short form of an issue used inside links, subtasks and parent. */
  issueRef(issue: Issue): JsonObject {
    return {
      id: issue.id,
      key: issue.key,
      self: `${this.api}/issue/${issue.id}`,
      fields: {
        summary: issue.summary,
        status: this.status(findStatus(issue.statusId)!),
        priority: this.priority(issue.priorityId),
        issuetype: this.issueType(findIssueType(issue.issueTypeId)!),
      },
    };
  }

  issueLink(link: IssueLink, from: Issue): JsonObject | null {
    const otherId = link.inwardId === from.id ? link.outwardId : link.inwardId;
    const other = this.store.issues.get(otherId);
    if (!other) return null;
    const out: JsonObject = {
      id: link.id,
      self: `${this.api}/issueLink/${link.id}`,
      type: this.linkType(link.typeId),
    };
    // Seen from the inward issue, the other end is the outward one, and vice versa.
    if (link.inwardId === from.id) out.outwardIssue = this.issueRef(other);
    else out.inwardIssue = this.issueRef(other);
    return out;
  }

  versionsOf(ids: string[]): Json[] {
    const out: Json[] = [];
    for (const id of ids) {
      const v = this.store.versions.get(id);
      if (v) out.push(this.version(v));
    }
    return out;
  }

  /**
   * Every field Jira's issue has, in Jira's order, each computed only when selected: a search
   * page of 1000 issues asking for three fields must not build forty.
   */
  private readonly fieldRenderers: [string, (issue: Issue, apiVersion: ApiVersion) => Json][] = [
    ['issuetype', (i) => this.issueType(findIssueType(i.issueTypeId)!)],
    ['timespent', () => null],
    ['project', (i) => this.projectRef(this.store.projects.get(i.projectId)!)],
    ['fixVersions', (i) => this.versionsOf(i.fixVersionIds)],
    ['aggregatetimespent', () => null],
    ['resolution', (i) => this.resolution(i.resolutionId)],
    ['resolutiondate', (i) => (i.resolutionDate === null ? null : jiraDateTime(i.resolutionDate))],
    ['workratio', () => -1],
    ['lastViewed', () => null],
    ['watches', (i) => ({ self: `${this.api}/issue/${i.key}/watchers`, watchCount: 0, isWatching: false })],
    ['created', (i) => jiraDateTime(i.created)],
    ['priority', (i) => this.priority(i.priorityId)],
    ['labels', (i) => [...i.labels]],
    ['timeestimate', () => null],
    ['aggregatetimeoriginalestimate', () => null],
    ['versions', (i) => this.versionsOf(i.versionIds)],
    [
      'issuelinks',
      (i) => {
        const links: Json[] = [];
        for (const link of this.store.linksByIssue.get(i.id) ?? []) {
          const json = this.issueLink(link, i);
          if (json) links.push(json);
        }
        return links;
      },
    ],
    ['assignee', (i) => this.userByKey(i.assigneeKey)],
    ['updated', (i) => jiraDateTime(i.updated)],
    ['status', (i) => this.status(findStatus(i.statusId)!)],
    [
      'components',
      (i) =>
        i.componentIds.flatMap((id) => {
          const c = this.store.components.get(id);
          return c ? [this.component(c)] : [];
        }),
    ],
    ['timeoriginalestimate', () => null],
    ['description', (i, v) => (v === '3' ? toAdf(i.description) : i.description)],
    ['timetracking', () => ({})],
    ['security', () => null],
    ['attachment', (i) => i.attachments.map((a) => this.attachment(a))],
    ['aggregatetimeestimate', () => null],
    ['summary', (i) => i.summary],
    ['creator', (i) => this.userByKey(i.creatorKey)],
    ['subtasks', (i) => [...(this.store.subtasks.get(i.id) ?? [])].map((sub) => this.issueRef(sub))],
    ['reporter', (i) => this.userByKey(i.reporterKey)],
    ['aggregateprogress', () => ({ progress: 0, total: 0 })],
    ['environment', (i) => i.environment],
    ['duedate', (i) => i.duedate],
    ['progress', () => ({ progress: 0, total: 0 })],
    ['votes', (i) => ({ self: `${this.api}/issue/${i.key}/votes`, votes: 0, hasVoted: false })],
    [
      'comment',
      (i, v) => ({
        comments: i.comments.map((c) => this.comment(c, v)),
        maxResults: i.comments.length,
        total: i.comments.length,
        startAt: 0,
      }),
    ],
    ['worklog', () => ({ startAt: 0, maxResults: 20, total: 0, worklogs: [] })],
    ['statuscategorychangedate', (i) => jiraDateTime(i.statusCategoryChanged)],
  ];

  /** Every field of an issue (webhook payloads and exports carry them all). */
  allFields(issue: Issue, apiVersion: ApiVersion): JsonObject {
    return this.issue(issue, { apiVersion }).fields as JsonObject;
  }

  /**
   * An issue as GET /issue and search return it. `fields` follows Jira's parameter:
   * `*all`, `*navigable`, ids, and `-id` exclusions; undefined means `*all`.
   */
  issue(
    issue: Issue,
    options: { fields?: string[] | undefined; expand?: Set<string>; apiVersion?: ApiVersion } = {},
  ): JsonObject {
    const apiVersion = options.apiVersion ?? '2';
    const out: JsonObject = {
      expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
      id: issue.id,
      self: `${this.ctx.baseUrl}/rest/api/${apiVersion}/issue/${issue.id}`,
      key: issue.key,
    };
    const selection = parseFieldSelection(options.fields);
    if (selection.mode !== 'none') {
      const fields: JsonObject = {};
      for (const [name, renderField] of this.fieldRenderers) {
        if (selection.excluded.has(name)) continue;
        const wanted =
          selection.mode === 'all' ||
          (selection.mode === 'navigable' && !NON_NAVIGABLE.has(name)) ||
          selection.included.has(name);
        if (wanted) fields[name] = renderField(issue, apiVersion);
      }
      const parent = issue.parentId ? this.store.issues.get(issue.parentId) : undefined;
      if (
        parent &&
        !selection.excluded.has('parent') &&
        (selection.mode !== 'some' || selection.included.has('parent'))
      )
        fields.parent = this.issueRef(parent);
      out.fields = fields;
    }
    if (options.expand?.has('changelog')) out.changelog = this.changelog(issue.changelog);
    if (options.expand?.has('renderedFields')) {
      out.renderedFields = {
        description: issue.description === null ? null : `<p>${escapeHtml(issue.description)}</p>`,
        created: jiraDateTime(issue.created),
        updated: jiraDateTime(issue.updated),
      };
    }
    if (options.expand?.has('names')) {
      out.names = Object.fromEntries(FIELD_DEFS.map((f) => [f.id, f.name]));
    }
    return out;
  }

  changelog(groups: ChangeGroup[]): JsonObject {
    return {
      startAt: 0,
      maxResults: groups.length,
      total: groups.length,
      histories: groups.map((g) => this.changeGroup(g)),
    };
  }

  changeGroup(g: ChangeGroup): JsonObject {
    return {
      id: g.id,
      author: this.userByKey(g.authorKey),
      created: jiraDateTime(g.created),
      items: g.items.map((i) => ({ ...i })),
    };
  }
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`).replace(/\n/g, '<br/>');

const NON_NAVIGABLE = new Set(['comment', 'worklog', 'attachment', 'timetracking']);

type FieldSelection = {
  mode: 'all' | 'navigable' | 'some' | 'none';
  included: Set<string>;
  excluded: Set<string>;
};

export function parseFieldSelection(fields: string[] | undefined): FieldSelection {
  const parts = (fields ?? ['*all'])
    .flatMap((f) => f.split(','))
    .map((f) => f.trim())
    .filter(Boolean);
  const included = new Set<string>();
  const excluded = new Set<string>();
  let mode: FieldSelection['mode'] = parts.length === 0 ? 'all' : 'none';
  for (const part of parts) {
    if (part === '*all') mode = 'all';
    else if (part === '*navigable' && mode !== 'all') mode = 'navigable';
    else if (part.startsWith('-')) excluded.add(part.slice(1));
    else if (part !== 'id' && part !== 'key' && part !== '*none') included.add(part);
  }
  if (mode === 'none' && included.size > 0) mode = 'some';
  return { mode, included, excluded };
}

/** System fields as GET /rest/api/2/field lists them (python-jira maps clause names with it). */
export const FIELD_DEFS: {
  id: string;
  name: string;
  schema: { type: string; system: string; items?: string };
  clauseNames: string[];
  orderable: boolean;
  navigable: boolean;
  searchable: boolean;
}[] = [
  ['summary', 'Summary', 'string', ['summary'], true],
  ['description', 'Description', 'string', ['description'], true],
  ['issuetype', 'Issue Type', 'issuetype', ['issuetype', 'type'], true],
  ['project', 'Project', 'project', ['project'], true],
  ['status', 'Status', 'status', ['status'], false],
  ['priority', 'Priority', 'priority', ['priority'], true],
  ['resolution', 'Resolution', 'resolution', ['resolution'], true],
  ['resolutiondate', 'Resolved', 'datetime', ['resolutiondate', 'resolved'], false],
  ['labels', 'Labels', 'array:string', ['labels'], true],
  ['components', 'Component/s', 'array:component', ['component'], true],
  ['fixVersions', 'Fix Version/s', 'array:version', ['fixVersion'], true],
  ['versions', 'Affects Version/s', 'array:version', ['affectedVersion'], true],
  ['assignee', 'Assignee', 'user', ['assignee'], true],
  ['reporter', 'Reporter', 'user', ['reporter'], true],
  ['creator', 'Creator', 'user', ['creator'], false],
  ['created', 'Created', 'datetime', ['created', 'createdDate'], false],
  ['updated', 'Updated', 'datetime', ['updated', 'updatedDate'], false],
  ['duedate', 'Due Date', 'date', ['due', 'duedate'], true],
  ['environment', 'Environment', 'string', ['environment'], true],
  ['parent', 'Parent', 'issuelink', ['parent'], true],
  ['issuelinks', 'Linked Issues', 'array:issuelinks', ['issueLink'], true],
  ['subtasks', 'Sub-tasks', 'array:issuelinks', ['subtasks'], false],
  ['attachment', 'Attachment', 'array:attachment', ['attachments'], true],
  ['comment', 'Comment', 'comments-page', ['comment'], true],
].map(([id, name, type, clauseNames, orderable]) => {
  const [base, items] = String(type).split(':');
  return {
    id: String(id),
    name: String(name),
    schema: { type: String(base), system: String(id), ...(items ? { items } : {}) },
    clauseNames: clauseNames as string[],
    orderable: Boolean(orderable),
    navigable: true,
    searchable: true,
  };
});
