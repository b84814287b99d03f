/**
 * Every change to Jira's data goes through here: permission checks with Jira's refusals,
 * field validation with Jira's per-field errors, the change itself, a changelog, and the
 * event for webhooks. REST routes and the sim admin API share it, so both behave alike.
 */
import type { Permission, SimContext, SimUser } from '../context.js';
import {
  DEFAULT_PRIORITY_ID,
  findIssueType,
  findPriority,
  findResolution,
  findStatus,
  LINK_TYPES,
  TRANSITIONS,
  type TransitionDef,
} from './catalog.js';
import {
  badRequest,
  fieldErrors,
  forbidden,
  issueNotFound,
  JiraError,
  notFound,
  unauthenticated,
} from './errors.js';
import type { EventSink, VersionEventName } from './events.js';
import type { Attachment, ChangeItem, Comment, Issue, IssueLink, Project, Store, Version } from './model.js';
import { type ApiVersion, fromAdf, type Renderer } from './render.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `{id}`, `{name}`, `{key}` or a bare string, as Jira accepts for references. */
function refOf(value: unknown): { id?: string; name?: string; key?: string; accountId?: string } | undefined {
  if (typeof value === 'string' || typeof value === 'number')
    return { id: String(value), name: String(value) };
  if (!isObj(value)) return undefined;
  const s = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);
  const out: { id?: string; name?: string; key?: string; accountId?: string } = {};
  const id = s(value.id);
  const name = s(value.name);
  const key = s(value.key);
  const accountId = s(value.accountId);
  if (id !== undefined) out.id = id;
  if (name !== undefined) out.name = name;
  if (key !== undefined) out.key = key;
  if (accountId !== undefined) out.accountId = accountId;
  return out;
}

const SETTABLE_ON_CREATE = new Set([
  'project',
  'issuetype',
  'summary',
  'description',
  'priority',
  'labels',
  'components',
  'fixVersions',
  'versions',
  'assignee',
  'reporter',
  'parent',
  'duedate',
  'environment',
]);
const SETTABLE_ON_EDIT = new Set([...SETTABLE_ON_CREATE].filter((f) => f !== 'project'));

const cannotSet = (field: string) =>
  `Field '${field}' cannot be set. It is not on the appropriate screen, or unknown.`;

type IssueSnapshot = Omit<Issue, 'comments' | 'attachments' | 'changelog'>;
const snapshot = (issue: Issue): IssueSnapshot => ({
  ...issue,
  labels: [...issue.labels],
  componentIds: [...issue.componentIds],
  fixVersionIds: [...issue.fixVersionIds],
  versionIds: [...issue.versionIds],
});

export class DataService {
  constructor(
    private readonly ctx: SimContext,
    private readonly store: Store,
    private readonly render: Renderer,
    private readonly events: EventSink,
  ) {}

  private now(): number {
    return this.ctx.clock.now();
  }

  // --- permissions ---------------------------------------------------------------------

  requireUser(user: SimUser | undefined): SimUser {
    if (!user) throw unauthenticated();
    return user;
  }

  can(user: SimUser | undefined, permission: Permission, project?: Project): boolean {
    return user !== undefined && this.ctx.hasPermission(user, permission, project?.key);
  }

  private need(
    user: SimUser | undefined,
    permission: Permission,
    project: Project | undefined,
    message: string,
  ) {
    const u = this.requireUser(user);
    if (!this.ctx.hasPermission(u, permission, project?.key)) throw forbidden(message);
    return u;
  }

  requireAdmin(user: SimUser | undefined): SimUser {
    return this.need(
      user,
      'ADMINISTER',
      undefined,
      'You are not authorized to perform this action. Administrator privileges are required.',
    );
  }

  private needProjectAdmin(user: SimUser | undefined, project: Project): SimUser {
    const u = this.requireUser(user);
    if (
      !this.ctx.hasPermission(u, 'ADMINISTER_PROJECTS', project.key) &&
      !this.ctx.hasPermission(u, 'ADMINISTER')
    )
      throw forbidden('The user does not have permission to complete this operation.');
    return u;
  }

  visibleProjects(user: SimUser | undefined): Project[] {
    this.requireUser(user);
    return [...this.store.projects.values()].filter((p) => this.can(user, 'BROWSE_PROJECTS', p));
  }

  project(user: SimUser | undefined, keyOrId: string): Project {
    this.requireUser(user);
    const p = this.store.findProject(keyOrId);
    if (!p || !this.can(user, 'BROWSE_PROJECTS', p)) {
      throw notFound(
        /^\d+$/.test(keyOrId)
          ? `No project could be found with id '${keyOrId}'.`
          : `No project could be found with key '${keyOrId}'.`,
      );
    }
    return p;
  }

  issue(user: SimUser | undefined, keyOrId: string): Issue {
    this.requireUser(user);
    const issue = this.store.findIssue(keyOrId);
    const project = issue ? this.store.projects.get(issue.projectId) : undefined;
    if (!issue || !project || !this.can(user, 'BROWSE_PROJECTS', project)) throw issueNotFound();
    return issue;
  }

  projectOf(issue: Issue): Project {
    return this.store.projects.get(issue.projectId)!;
  }

  version(user: SimUser | undefined, id: string): Version {
    this.requireUser(user);
    const v = this.store.versions.get(id);
    const project = v ? this.store.projects.get(v.projectId) : undefined;
    if (!v || !project || !this.can(user, 'BROWSE_PROJECTS', project))
      throw notFound(`Could not find version for id '${id}'`);
    return v;
  }

  // --- projects ------------------------------------------------------------------------

  createProject(user: SimUser | undefined, body: Obj): Project {
    const actor = this.requireAdmin(user);
    const key = typeof body.key === 'string' ? body.key.trim() : '';
    const name = typeof body.name === 'string' ? body.name.trim() : '';
    const errors: Record<string, string> = {};
    if (!/^[A-Z][A-Z0-9_]{1,9}$/.test(key))
      errors.projectKey =
        'Project keys must start with an uppercase letter, followed by one or more uppercase alphanumeric characters.';
    else if (this.store.projectsByKey.has(key)) errors.projectKey = `Project '${key}' uses this project key.`;
    if (!name) errors.projectName = 'You must specify a valid project name.';
    if (Object.keys(errors).length) throw fieldErrors(errors);
    const lead =
      typeof body.leadAccountId === 'string' || typeof body.lead === 'string'
        ? this.ctx.findUser(String(body.leadAccountId ?? body.lead))
        : actor;
    const project: Project = {
      id: this.store.nextId('project'),
      key,
      name,
      description: typeof body.description === 'string' ? body.description : '',
      projectTypeKey: typeof body.projectTypeKey === 'string' ? body.projectTypeKey : 'software',
      leadKey: (lead ?? actor).key,
      versions: [],
      components: [],
      issueTypeIds: ['10000', '10001', '3', '1', '5'],
      nextNumber: 1,
      issues: new Set(),
    };
    this.store.addProject(project);
    this.events.emit({ kind: 'project', name: 'project_created', project, user: actor });
    return project;
  }

  updateProject(user: SimUser | undefined, keyOrId: string, body: Obj): Project {
    const project = this.project(user, keyOrId);
    const actor = this.needProjectAdmin(user, project);
    if (typeof body.name === 'string' && body.name.trim()) project.name = body.name.trim();
    if (typeof body.description === 'string') project.description = body.description;
    const leadRef = body.leadAccountId ?? body.lead;
    if (typeof leadRef === 'string') {
      const lead = this.ctx.findUser(leadRef);
      if (!lead)
        throw fieldErrors({ projectLead: 'The user you have specified as project lead does not exist.' });
      project.leadKey = lead.key;
    }
    this.store.revision++;
    this.events.emit({ kind: 'project', name: 'project_updated', project, user: actor });
    return project;
  }

  deleteProject(user: SimUser | undefined, keyOrId: string): void {
    const project = this.project(user, keyOrId);
    const actor = this.requireAdmin(user);
    for (const issue of [...project.issues]) this.store.removeIssue(issue);
    for (const v of project.versions) this.store.versions.delete(v.id);
    for (const c of project.components) this.store.components.delete(c.id);
    this.store.projects.delete(project.id);
    this.store.projectsByKey.delete(project.key);
    this.store.revision++;
    this.events.emit({ kind: 'project', name: 'project_deleted', project, user: actor });
  }

  // --- versions ------------------------------------------------------------------------

  private parseVersionFields(body: Obj, project: Project, existing?: Version): Partial<Version> {
    const errors: Record<string, string> = {};
    const out: Partial<Version> = {};
    if (body.name !== undefined) {
      const name = typeof body.name === 'string' ? body.name.trim() : '';
      if (!name) errors.name = 'You must specify a valid version name';
      else if (name.length > 255) errors.name = 'The version name must not exceed 255 characters.';
      else if (project.versions.some((v) => v !== existing && v.name.toLowerCase() === name.toLowerCase()))
        errors.name = 'A version with this name already exists in this project.';
      else out.name = name;
    } else if (!existing) errors.name = 'You must specify a valid version name';
    if (body.description !== undefined)
      out.description = typeof body.description === 'string' ? body.description : '';
    for (const field of ['releaseDate', 'startDate'] as const) {
      const v = body[field];
      if (v === undefined) continue;
      if (v === null || v === '') out[field] = null;
      else if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)))
        out[field] = v;
      else errors[field] = `Please enter the date in the following format: yyyy-MM-dd`;
    }
    if (body.released !== undefined) out.released = body.released === true;
    if (body.archived !== undefined) out.archived = body.archived === true;
    if (Object.keys(errors).length) throw fieldErrors(errors);
    return out;
  }

  createVersion(user: SimUser | undefined, body: Obj): Version {
    this.requireUser(user);
    const projectRef = body.projectId ?? body.project;
    const project =
      typeof projectRef === 'string' || typeof projectRef === 'number'
        ? this.store.findProject(String(projectRef))
        : undefined;
    if (!project || !this.can(user, 'BROWSE_PROJECTS', project))
      throw fieldErrors({ project: 'Project must be specified to create a version.' });
    const actor = this.needProjectAdmin(user, project);
    const fields = this.parseVersionFields(body, project);
    const version: Version = {
      id: this.store.nextId('version'),
      projectId: project.id,
      name: fields.name!,
      description: fields.description ?? '',
      released: fields.released ?? false,
      archived: fields.archived ?? false,
      releaseDate: fields.releaseDate ?? null,
      startDate: fields.startDate ?? null,
    };
    project.versions.push(version);
    this.store.versions.set(version.id, version);
    this.store.revision++;
    this.events.emit({ kind: 'version', name: 'jira:version_created', version, user: actor });
    return version;
  }

  updateVersion(user: SimUser | undefined, id: string, body: Obj): Version {
    const version = this.version(user, id);
    const project = this.store.projects.get(version.projectId)!;
    const actor = this.needProjectAdmin(user, project);
    if (body.moveUnfixedIssuesTo !== undefined && body.released === true) {
      const target = this.store.versions.get(String(body.moveUnfixedIssuesTo));
      if (target && target.projectId === project.id) {
        for (const issue of project.issues) {
          if (issue.resolutionId === null && issue.fixVersionIds.includes(version.id)) {
            issue.fixVersionIds = issue.fixVersionIds.map((v) => (v === version.id ? target.id : v));
          }
        }
      }
    }
    const fields = this.parseVersionFields(body, project, version);
    const wasReleased = version.released;
    let otherChange = false;
    for (const [k, v] of Object.entries(fields) as [keyof Version, never][]) {
      if (k === 'released') continue;
      if (version[k] !== v) otherChange = true;
      (version as Record<string, unknown>)[k] = v;
    }
    if (fields.released !== undefined) version.released = fields.released;
    if (version.released && !version.releaseDate && !wasReleased && fields.released) {
      // Jira stamps the release date when a version is released without one.
      version.releaseDate = new Date(this.now()).toISOString().slice(0, 10);
    }
    this.store.revision++;
    if (wasReleased !== version.released) {
      const name: VersionEventName = version.released ? 'jira:version_released' : 'jira:version_unreleased';
      this.events.emit({ kind: 'version', name, version, user: actor });
    }
    if (otherChange || wasReleased === version.released)
      this.events.emit({ kind: 'version', name: 'jira:version_updated', version, user: actor });
    return version;
  }

  moveVersion(user: SimUser | undefined, id: string, body: Obj): Version {
    const version = this.version(user, id);
    const project = this.store.projects.get(version.projectId)!;
    const actor = this.needProjectAdmin(user, project);
    const list = project.versions;
    const from = list.indexOf(version);
    let to: number;
    if (typeof body.after === 'string') {
      const afterId = body.after.replace(/\/+$/, '').split('/').pop() ?? '';
      const after = list.find((v) => v.id === afterId);
      if (!after || after === version)
        throw badRequest(`Version '${body.after}' is not a valid version to move after.`);
      list.splice(from, 1);
      to = list.indexOf(after) + 1;
    } else if (typeof body.position === 'string') {
      const position = body.position;
      list.splice(from, 1);
      if (position === 'First') to = 0;
      else if (position === 'Last') to = list.length;
      else if (position === 'Earlier') to = Math.max(0, from - 1);
      else if (position === 'Later') to = Math.min(list.length, from + 1);
      else {
        list.splice(from, 0, version);
        throw badRequest(`Invalid position '${position}'. Valid values are First, Last, Earlier, Later.`);
      }
    } else throw badRequest('Either position or after must be specified.');
    list.splice(to, 0, version);
    this.store.revision++;
    this.events.emit({ kind: 'version', name: 'jira:version_moved', version, user: actor });
    return version;
  }

  deleteVersion(user: SimUser | undefined, id: string, moveFixTo?: string, moveAffectedTo?: string): void {
    const version = this.version(user, id);
    const project = this.store.projects.get(version.projectId)!;
    const actor = this.needProjectAdmin(user, project);
    const target = (ref: string | undefined, name: string) => {
      if (!ref) return undefined;
      const t = this.store.versions.get(ref);
      if (!t || t.projectId !== project.id || t === version)
        throw badRequest(`The version specified in '${name}' (${ref}) is not valid.`);
      return t;
    };
    const fixTarget = target(moveFixTo, 'moveFixIssuesTo');
    const affectedTarget = target(moveAffectedTo, 'moveAffectedIssuesTo');
    this.detachVersion(project, version, fixTarget, affectedTarget);
    this.events.emit({ kind: 'version', name: 'jira:version_deleted', version, user: actor });
  }

  mergeVersion(user: SimUser | undefined, id: string, targetId: string): void {
    const version = this.version(user, id);
    const project = this.store.projects.get(version.projectId)!;
    const actor = this.needProjectAdmin(user, project);
    const target = this.store.versions.get(targetId);
    if (!target || target.projectId !== project.id || target === version)
      throw notFound(`Could not find version for id '${targetId}'`);
    this.detachVersion(project, version, target, target);
    this.events.emit({
      kind: 'version',
      name: 'jira:version_deleted',
      version,
      mergedTo: target,
      user: actor,
    });
  }

  private detachVersion(project: Project, version: Version, fixTo?: Version, affectedTo?: Version): void {
    const replace = (ids: string[], to?: Version) => {
      if (!ids.includes(version.id)) return ids;
      const out = ids.filter((v) => v !== version.id);
      if (to && !out.includes(to.id)) out.push(to.id);
      return out;
    };
    for (const issue of project.issues) {
      issue.fixVersionIds = replace(issue.fixVersionIds, fixTo);
      issue.versionIds = replace(issue.versionIds, affectedTo);
    }
    project.versions.splice(project.versions.indexOf(version), 1);
    this.store.versions.delete(version.id);
    this.store.revision++;
  }

  // --- issues: field input -------------------------------------------------------------

  private findUserRef(value: unknown): SimUser | null | undefined {
    if (value === null) return null;
    const ref = refOf(value);
    if (!ref) return undefined;
    if (ref.accountId === '-1' || ref.name === '-1') return null;
    const id = ref.accountId ?? ref.name ?? ref.key ?? ref.id;
    if (id === undefined) return null;
    return this.ctx.findUser(id);
  }

  private versionIds(
    project: Project,
    value: unknown,
    field: string,
    errors: Record<string, string>,
  ): string[] {
    if (!Array.isArray(value)) {
      errors[field] = `data was not an array`;
      return [];
    }
    const ids: string[] = [];
    for (const item of value) {
      const ref = refOf(item);
      const v = project.versions.find(
        (x) => (ref?.id !== undefined && x.id === ref.id) || x.name === ref?.name,
      );
      if (!v)
        errors[field] =
          ref?.name !== undefined && isObj(item) && item.id === undefined
            ? `Version name '${ref.name}' is not valid`
            : `Version id '${ref?.id ?? String(item)}' is not valid`;
      else if (!ids.includes(v.id)) ids.push(v.id);
    }
    return ids;
  }

  private componentIds(project: Project, value: unknown, errors: Record<string, string>): string[] {
    if (!Array.isArray(value)) {
      errors.components = 'data was not an array';
      return [];
    }
    const ids: string[] = [];
    for (const item of value) {
      const ref = refOf(item);
      const c = project.components.find(
        (x) => (ref?.id !== undefined && x.id === ref.id) || x.name === ref?.name,
      );
      if (!c)
        errors.components =
          isObj(item) && item.id !== undefined
            ? `Component with id '${String(item.id)}' does not exist.`
            : `Component name '${ref?.name ?? String(item)}' is not valid`;
      else if (!ids.includes(c.id)) ids.push(c.id);
    }
    return ids;
  }

  /** Applies `fields` to a draft issue, collecting Jira's per-field errors. */
  private applyFields(
    draft: Issue,
    project: Project,
    fields: Obj,
    mode: 'create' | 'edit' | 'transition',
    actor: SimUser,
    apiVersion: ApiVersion,
    errors: Record<string, string>,
  ): void {
    const settable = mode === 'create' ? SETTABLE_ON_CREATE : SETTABLE_ON_EDIT;
    for (const [field, value] of Object.entries(fields)) {
      if (mode === 'transition' && field === 'resolution') {
        const ref = refOf(value);
        const r = ref
          ? (findResolution(ref.id ?? ref.name ?? '') ?? findResolution(ref.name ?? ''))
          : undefined;
        if (!r) errors.resolution = 'The resolution selected is invalid.';
        else draft.resolutionId = r.id;
        continue;
      }
      if (!settable.has(field)) {
        if (field !== 'project' || mode !== 'create') errors[field] = cannotSet(field);
        continue;
      }
      switch (field) {
        case 'project':
          break;
        case 'issuetype': {
          const ref = refOf(value);
          const type = ref ? (findIssueType(ref.id ?? '') ?? findIssueType(ref.name ?? '')) : undefined;
          if (!type || !project.issueTypeIds.includes(type.id))
            errors.issuetype = 'The issue type selected is invalid.';
          else draft.issueTypeId = type.id;
          break;
        }
        case 'summary':
          if (typeof value !== 'string' || !value.trim())
            errors.summary = 'You must specify a summary of the issue.';
          else if (value.length > 255) errors.summary = 'Summary must be less than 255 characters.';
          else draft.summary = value.replace(/[\r\n]+/g, ' ');
          break;
        case 'description':
        case 'environment': {
          let text: string | null;
          if (value === null || value === '') text = null;
          else if (typeof value === 'string' && apiVersion === '2') text = value;
          else if (isObj(value) && value.type === 'doc' && apiVersion === '3') text = fromAdf(value);
          else {
            errors[field] =
              apiVersion === '3'
                ? 'Operation value must be an Atlassian Document (see the Atlassian Document Format)'
                : 'Operation value must be a string';
            break;
          }
          draft[field] = text;
          break;
        }
        case 'priority': {
          const ref = refOf(value);
          const p = ref ? (findPriority(ref.id ?? '') ?? findPriority(ref.name ?? '')) : undefined;
          if (value === null) draft.priorityId = null;
          else if (!p) errors.priority = 'The priority selected is invalid.';
          else draft.priorityId = p.id;
          break;
        }
        case 'labels':
          if (!Array.isArray(value) || value.some((l) => typeof l !== 'string'))
            errors.labels = 'data was not an array';
          else {
            const bad = (value as string[]).find((l) => /\s/.test(l) || l.length > 255 || l === '');
            if (bad !== undefined) errors.labels = `The label '${bad}' contains spaces which is invalid.`;
            else draft.labels = [...new Set(value as string[])];
          }
          break;
        case 'components':
          draft.componentIds = this.componentIds(project, value, errors);
          break;
        case 'fixVersions':
          draft.fixVersionIds = this.versionIds(project, value, 'fixVersions', errors);
          break;
        case 'versions':
          draft.versionIds = this.versionIds(project, value, 'versions', errors);
          break;
        case 'assignee':
        case 'reporter': {
          const ref = refOf(value);
          if (
            this.ctx.flavor === 'cloud' &&
            value !== null &&
            ref &&
            ref.accountId === undefined &&
            isObj(value) &&
            ref.id === undefined
          ) {
            // Jira Cloud runs in GDPR strict mode: people are named by accountId only.
            errors[field] =
              `Specify the user by accountId: '${field}' does not accept a name or key on Jira Cloud.`;
            break;
          }
          const u = this.findUserRef(value);
          if (u === undefined) {
            const ref = refOf(value);
            errors[field] =
              `User '${ref?.accountId ?? ref?.name ?? ref?.id ?? String(value)}' does not exist.`;
            break;
          }
          if (field === 'assignee') {
            if (
              !this.ctx.hasPermission(actor, 'ASSIGN_ISSUES', project.key) &&
              (u?.key ?? null) !== draft.assigneeKey
            ) {
              errors.assignee = 'You do not have permission to assign issues.';
              break;
            }
            if (u && !this.ctx.hasPermission(u, 'ASSIGNABLE_USER', project.key)) {
              errors.assignee = `User '${this.ctx.flavor === 'cloud' ? u.accountId : u.name}' cannot be assigned issues.`;
              break;
            }
            draft.assigneeKey = u?.key ?? null;
          } else {
            if (!u) errors.reporter = 'Reporter is required.';
            else draft.reporterKey = u.key;
          }
          break;
        }
        case 'parent': {
          if (value === null) {
            draft.parentId = null;
            break;
          }
          const ref = refOf(value);
          const parent = ref ? this.store.findIssue(ref.key ?? ref.id ?? '') : undefined;
          if (!parent || parent.id === draft.id) errors.parent = `Could not find issue by id or key.`;
          else if (parent.projectId !== project.id)
            errors.parent = 'Parent issue must belong to the same project.';
          else draft.parentId = parent.id;
          break;
        }
        case 'duedate':
          if (value === null || value === '') draft.duedate = null;
          else if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) draft.duedate = value;
          else errors.duedate = `Error parsing date string: ${String(value)}`;
          break;
      }
    }
  }

  private validateHierarchy(draft: Issue, errors: Record<string, string>): void {
    const type = findIssueType(draft.issueTypeId)!;
    const parent = draft.parentId ? this.store.issues.get(draft.parentId) : undefined;
    if (type.subtask && !parent) errors.parent = 'Sub-tasks must have a parent issue.';
    if (parent) {
      const parentType = findIssueType(parent.issueTypeId)!;
      if (parentType.hierarchyLevel !== type.hierarchyLevel + 1 && !errors.parent)
        errors.parent = `Issue type '${type.name}' cannot have a parent of type '${parentType.name}'.`;
    }
    for (const required of type.requiredFields) {
      if (required === 'parent') continue;
      const v = draft[required as keyof Issue];
      if (v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0))
        errors[required] ??= `${required[0]!.toUpperCase()}${required.slice(1)} is required.`;
    }
  }

  createIssue(user: SimUser | undefined, body: Obj, apiVersion: ApiVersion = '2'): Issue {
    const actor = this.requireUser(user);
    const fields = isObj(body.fields) ? body.fields : {};
    const projectRef = refOf(fields.project);
    const project = projectRef
      ? (this.store.findProject(projectRef.id ?? projectRef.key ?? '') ??
        this.store.findProject(projectRef.key ?? ''))
      : undefined;
    if (!projectRef) throw fieldErrors({ project: 'Specify a valid project ID or key' });
    if (!project || !this.can(actor, 'BROWSE_PROJECTS', project))
      throw fieldErrors({ project: 'Specify a valid project ID or key' });
    if (!this.can(actor, 'CREATE_ISSUES', project))
      throw fieldErrors({ project: 'You do not have permission to create issues in this project.' });
    const now = this.now();
    const draft: Issue = {
      id: '',
      num: 0,
      key: '',
      formerKeys: [],
      keyNumber: 0,
      projectId: project.id,
      issueTypeId: '',
      summary: '',
      description: null,
      environment: null,
      duedate: null,
      statusId: '10001',
      statusCategoryChanged: now,
      priorityId: DEFAULT_PRIORITY_ID,
      resolutionId: null,
      resolutionDate: null,
      labels: [],
      componentIds: [],
      fixVersionIds: [],
      versionIds: [],
      assigneeKey: null,
      reporterKey: actor.key,
      creatorKey: actor.key,
      parentId: null,
      created: now,
      updated: now,
      comments: [],
      attachments: [],
      changelog: [],
    };
    const errors: Record<string, string> = {};
    this.applyFields(draft, project, fields, 'create', actor, apiVersion, errors);
    if (fields.issuetype === undefined) errors.issuetype = 'Specify an issue type';
    if (fields.summary === undefined) errors.summary ??= 'You must specify a summary of the issue.';
    if (draft.issueTypeId) this.validateHierarchy(draft, errors);
    if (Object.keys(errors).length) throw fieldErrors(errors);
    const id = this.store.nextId('issue');
    draft.id = id;
    draft.num = Number(id);
    draft.keyNumber = project.nextNumber++;
    draft.key = `${project.key}-${draft.keyNumber}`;
    // Jira's creation changelog lists what the reporter set, as the issue_created fixtures show.
    const items: ChangeItem[] = [];
    if (draft.description !== null)
      items.push(this.item('description', 'description', null, null, null, draft.description));
    if (draft.priorityId)
      items.push(
        this.item('priority', 'priority', null, null, draft.priorityId, findPriority(draft.priorityId)!.name),
      );
    items.push(this.userItem('reporter', null, draft.reporterKey));
    items.push(this.item('Status', 'status', null, null, draft.statusId, findStatus(draft.statusId)!.name));
    items.push(this.item('summary', 'summary', null, null, null, draft.summary));
    const group = { id: this.store.nextId('changelog'), authorKey: actor.key, created: now, items };
    this.store.addIssue(draft);
    this.events.emit({
      kind: 'issue',
      name: 'jira:issue_created',
      issueEventTypeName: 'issue_created',
      issue: draft,
      changelog: group,
      user: actor,
    });
    return draft;
  }

  private item(
    field: string,
    fieldId: string,
    from: string | null,
    fromString: string | null,
    to: string | null,
    toText: string | null,
  ): ChangeItem {
    return { field, fieldtype: 'jira', fieldId, from, fromString, to, toString: toText };
  }

  /** A user field's change; Cloud also names the account ids in tmpFrom/tmpToAccountId. */
  private userItem(field: 'assignee' | 'reporter', from: string | null, to: string | null): ChangeItem {
    const item = this.item(
      field,
      field,
      this.render.userRef(from),
      this.displayName(from),
      this.render.userRef(to),
      this.displayName(to),
    );
    if (this.ctx.flavor === 'cloud') {
      item.tmpFromAccountId = from === null ? null : (this.ctx.findUser(from)?.accountId ?? null);
      item.tmpToAccountId = to === null ? null : (this.ctx.findUser(to)?.accountId ?? null);
    }
    return item;
  }

  private displayName(key: string | null): string | null {
    return key === null ? null : (this.ctx.findUser(key)?.displayName ?? key);
  }

  /** Changelog items between two states of an issue, in Jira's wording. */
  private diff(before: IssueSnapshot, after: Issue): ChangeItem[] {
    const items: ChangeItem[] = [];
    const text = (field: keyof Issue & string) => {
      const a = before[field as keyof IssueSnapshot] as string | null;
      const b = after[field] as string | null;
      if (a !== b) items.push(this.item(field, field, null, a, null, b));
    };
    if (before.key !== after.key) items.push(this.item('Key', 'key', null, before.key, null, after.key));
    if (before.projectId !== after.projectId) {
      const a = this.store.projects.get(before.projectId);
      const b = this.store.projects.get(after.projectId);
      items.push(
        this.item('project', 'project', before.projectId, a?.name ?? null, after.projectId, b?.name ?? null),
      );
    }
    text('summary');
    text('description');
    text('environment');
    if (before.issueTypeId !== after.issueTypeId)
      items.push(
        this.item(
          'issuetype',
          'issuetype',
          before.issueTypeId,
          findIssueType(before.issueTypeId)?.name ?? null,
          after.issueTypeId,
          findIssueType(after.issueTypeId)?.name ?? null,
        ),
      );
    if (before.priorityId !== after.priorityId)
      items.push(
        this.item(
          'priority',
          'priority',
          before.priorityId,
          before.priorityId ? (findPriority(before.priorityId)?.name ?? null) : null,
          after.priorityId,
          after.priorityId ? (findPriority(after.priorityId)?.name ?? null) : null,
        ),
      );
    if (before.resolutionId !== after.resolutionId)
      items.push(
        this.item(
          'resolution',
          'resolution',
          before.resolutionId,
          before.resolutionId ? (findResolution(before.resolutionId)?.name ?? null) : null,
          after.resolutionId,
          after.resolutionId ? (findResolution(after.resolutionId)?.name ?? null) : null,
        ),
      );
    if (before.statusId !== after.statusId)
      items.push(
        this.item(
          'status',
          'status',
          before.statusId,
          findStatus(before.statusId)!.name,
          after.statusId,
          findStatus(after.statusId)!.name,
        ),
      );
    for (const field of ['assignee', 'reporter'] as const) {
      const k = `${field}Key` as const;
      if (before[k] !== after[k]) items.push(this.userItem(field, before[k], after[k]));
    }
    if (before.labels.join(' ') !== after.labels.join(' '))
      items.push(
        this.item(
          'labels',
          'labels',
          null,
          before.labels.join(' ') || null,
          null,
          after.labels.join(' ') || null,
        ),
      );
    const multi = (
      label: string,
      fieldId: string,
      a: string[],
      b: string[],
      name: (id: string) => string | null,
    ) => {
      for (const id of a)
        if (!b.includes(id)) items.push(this.item(label, fieldId, id, name(id), null, null));
      for (const id of b)
        if (!a.includes(id)) items.push(this.item(label, fieldId, null, null, id, name(id)));
    };
    const versionName = (id: string) => this.store.versions.get(id)?.name ?? null;
    multi('Fix Version', 'fixVersions', before.fixVersionIds, after.fixVersionIds, versionName);
    multi('Version', 'versions', before.versionIds, after.versionIds, versionName);
    multi(
      'Component',
      'components',
      before.componentIds,
      after.componentIds,
      (id) => this.store.components.get(id)?.name ?? null,
    );
    if (before.duedate !== after.duedate)
      items.push(
        this.item('duedate', 'duedate', before.duedate, before.duedate, after.duedate, after.duedate),
      );
    if (before.parentId !== after.parentId) {
      const key = (id: string | null) => (id ? (this.store.issues.get(id)?.key ?? null) : null);
      items.push(
        this.item(
          'Parent',
          'parent',
          before.parentId,
          key(before.parentId),
          after.parentId,
          key(after.parentId),
        ),
      );
    }
    return items;
  }

  /** Records a change group and announces it; returns false when nothing changed. */
  private commit(
    issue: Issue,
    before: IssueSnapshot,
    actor: SimUser,
    eventType: string | ((items: ChangeItem[]) => string),
    extra: ChangeItem[] = [],
  ): boolean {
    const items = [...this.diff(before, issue), ...extra];
    if (items.length === 0) return false;
    const now = this.now();
    const group = { id: this.store.nextId('changelog'), authorKey: actor.key, created: now, items };
    // Seeded issues share one empty array; copy on write instead of pushing into it.
    issue.changelog = [...issue.changelog, group];
    this.store.touch(issue, now);
    this.events.emit({
      kind: 'issue',
      name: 'jira:issue_updated',
      issueEventTypeName: typeof eventType === 'string' ? eventType : eventType(items),
      issue,
      changelog: group,
      user: actor,
    });
    return true;
  }

  editIssue(user: SimUser | undefined, keyOrId: string, body: Obj, apiVersion: ApiVersion = '2'): void {
    const issue = this.issue(user, keyOrId);
    const project = this.projectOf(issue);
    const actor = this.need(
      user,
      'EDIT_ISSUES',
      project,
      'You do not have permission to edit issues in this project.',
    );
    const fields: Obj = isObj(body.fields) ? { ...body.fields } : {};
    const update = isObj(body.update) ? body.update : {};
    const errors: Record<string, string> = {};
    const draft: Issue = { ...issue, ...snapshot(issue) };
    const comments: string[] = [];
    for (const [field, ops] of Object.entries(update)) {
      if (!Array.isArray(ops)) {
        errors[field] = 'Operations must be an array.';
        continue;
      }
      for (const op of ops) {
        if (!isObj(op)) continue;
        if (field === 'comment') {
          const add = op.add;
          if (isObj(add))
            comments.push(apiVersion === '3' && isObj(add.body) ? fromAdf(add.body) : String(add.body ?? ''));
          continue;
        }
        if ('set' in op) {
          fields[field] = op.set;
          this.applyFields(draft, project, { [field]: op.set }, 'edit', actor, apiVersion, errors);
          continue;
        }
        const list = field === 'labels' ? draft.labels : undefined;
        if (list && ('add' in op || 'remove' in op)) {
          if ('add' in op && typeof op.add === 'string' && !list.includes(op.add)) list.push(op.add);
          if ('remove' in op) draft.labels = list.filter((l) => l !== op.remove);
          continue;
        }
        const target =
          field === 'components'
            ? 'componentIds'
            : field === 'fixVersions'
              ? 'fixVersionIds'
              : field === 'versions'
                ? 'versionIds'
                : undefined;
        if (!target) {
          errors[field] = cannotSet(field);
          continue;
        }
        const value = op.add ?? op.remove;
        const resolved =
          field === 'components'
            ? this.componentIds(project, [value], errors)
            : this.versionIds(project, [value], field, errors);
        if ('add' in op) draft[target] = [...new Set([...draft[target], ...resolved])];
        else draft[target] = draft[target].filter((id) => !resolved.includes(id));
      }
    }
    const setDirectly = Object.fromEntries(Object.entries(fields).filter(([k]) => !(k in update)));
    this.applyFields(draft, project, setDirectly, 'edit', actor, apiVersion, errors);
    this.validateHierarchy(draft, errors);
    if (Object.keys(errors).length) throw fieldErrors(errors);
    const before = snapshot(issue);
    this.assignFrom(issue, draft);
    if (issue.parentId !== before.parentId) {
      if (before.parentId) this.store.subtasks.get(before.parentId)?.delete(issue);
      if (issue.parentId) this.store.subtaskSet(issue.parentId).add(issue);
    }
    this.commit(issue, before, actor, (items) =>
      items.every((i) => i.fieldId === 'assignee') ? 'issue_assigned' : 'issue_updated',
    );
    for (const body of comments) this.addComment(user, issue.id, { body }, '2');
  }

  private assignFrom(issue: Issue, draft: Issue): void {
    issue.issueTypeId = draft.issueTypeId;
    issue.summary = draft.summary;
    issue.description = draft.description;
    issue.environment = draft.environment;
    issue.duedate = draft.duedate;
    issue.priorityId = draft.priorityId;
    issue.labels = draft.labels;
    issue.componentIds = draft.componentIds;
    issue.fixVersionIds = draft.fixVersionIds;
    issue.versionIds = draft.versionIds;
    issue.assigneeKey = draft.assigneeKey;
    issue.reporterKey = draft.reporterKey;
    issue.parentId = draft.parentId;
    issue.resolutionId = draft.resolutionId;
    this.store.revision++;
  }

  assign(user: SimUser | undefined, keyOrId: string, body: unknown): void {
    const issue = this.issue(user, keyOrId);
    const project = this.projectOf(issue);
    const actor = this.need(user, 'ASSIGN_ISSUES', project, 'You do not have permission to assign issues.');
    const errors: Record<string, string> = {};
    const draft: Issue = { ...issue, ...snapshot(issue) };
    this.applyFields(draft, project, { assignee: body }, 'edit', actor, '2', errors);
    if (Object.keys(errors).length) throw fieldErrors(errors);
    const before = snapshot(issue);
    this.assignFrom(issue, draft);
    this.commit(issue, before, actor, 'issue_assigned');
  }

  deleteIssue(user: SimUser | undefined, keyOrId: string, deleteSubtasks: boolean): void {
    const issue = this.issue(user, keyOrId);
    const project = this.projectOf(issue);
    const actor = this.need(
      user,
      'DELETE_ISSUES',
      project,
      'You do not have permission to delete issues in this project.',
    );
    const subtasks = [...(this.store.subtasks.get(issue.id) ?? [])];
    if (subtasks.length > 0 && !deleteSubtasks)
      throw badRequest(
        `The issue '${issue.key}' has subtasks. You must specify the 'deleteSubtasks' parameter to delete this issue with all its subtasks.`,
      );
    for (const sub of subtasks) this.removeIssue(sub, actor);
    this.removeIssue(issue, actor);
  }

  private removeIssue(issue: Issue, actor: SimUser): void {
    this.store.removeIssue(issue);
    this.store.subtasks.delete(issue.id);
    this.events.emit({
      kind: 'issue',
      name: 'jira:issue_deleted',
      issueEventTypeName: 'issue_deleted',
      issue,
      user: actor,
    });
  }

  /** Moves an issue to another project (new key, same id), optionally changing its type. */
  moveIssue(user: SimUser | undefined, keyOrId: string, projectKey: string, issueTypeId?: string): Issue {
    const issue = this.issue(user, keyOrId);
    const from = this.projectOf(issue);
    const actor = this.need(
      user,
      'MOVE_ISSUES',
      from,
      'You do not have permission to move issues in this project.',
    );
    const to = this.store.findProject(projectKey);
    if (!to || !this.can(actor, 'BROWSE_PROJECTS', to))
      throw fieldErrors({ project: `Project '${projectKey}' does not exist.` });
    if (!this.can(actor, 'CREATE_ISSUES', to))
      throw fieldErrors({ project: 'You do not have permission to create issues in this project.' });
    const type = issueTypeId ? findIssueType(issueTypeId) : findIssueType(issue.issueTypeId);
    if (!type || !to.issueTypeIds.includes(type.id))
      throw fieldErrors({ issuetype: 'The issue type selected is invalid.' });
    if (to === from && type.id === issue.issueTypeId) return issue;
    const before = snapshot(issue);
    if (to !== from) {
      from.issues.delete(issue);
      issue.formerKeys = [...issue.formerKeys, issue.key];
      issue.projectId = to.id;
      issue.keyNumber = to.nextNumber++;
      issue.key = `${to.key}-${issue.keyNumber}`;
      this.store.issuesByKey.set(issue.key, issue);
      to.issues.add(issue);
      // Versions and components belong to the old project.
      issue.fixVersionIds = [];
      issue.versionIds = [];
      issue.componentIds = [];
      if (issue.parentId) {
        this.store.subtasks.get(issue.parentId)?.delete(issue);
        issue.parentId = null;
      }
    }
    issue.issueTypeId = type.id;
    this.store.revision++;
    this.commit(issue, before, actor, 'issue_moved');
    return issue;
  }

  // --- transitions ---------------------------------------------------------------------

  transitionsFor(user: SimUser | undefined, issue: Issue): TransitionDef[] {
    if (!this.can(user, 'TRANSITION_ISSUES', this.projectOf(issue))) return [];
    return TRANSITIONS.filter((t) => t.to !== issue.statusId);
  }

  transition(user: SimUser | undefined, keyOrId: string, body: Obj, apiVersion: ApiVersion = '2'): void {
    const issue = this.issue(user, keyOrId);
    const project = this.projectOf(issue);
    const actor = this.need(
      user,
      'TRANSITION_ISSUES',
      project,
      'You do not have permission to transition this issue.',
    );
    const ref = refOf(body.transition);
    const transition = this.transitionsFor(actor, issue).find(
      (t) => t.id === ref?.id || t.name === ref?.name,
    );
    if (!transition) {
      throw badRequest(`Transition id '${ref?.id ?? ''}' is not valid for this issue.`);
    }
    const errors: Record<string, string> = {};
    const draft: Issue = { ...issue, ...snapshot(issue) };
    const fields = isObj(body.fields) ? body.fields : {};
    this.applyFields(draft, project, fields, 'transition', actor, apiVersion, errors);
    if (Object.keys(errors).length) throw fieldErrors(errors);
    const before = snapshot(issue);
    this.assignFrom(issue, draft);
    const target = findStatus(transition.to)!;
    const now = this.now();
    if (findStatus(issue.statusId)!.category !== target.category) issue.statusCategoryChanged = now;
    issue.statusId = target.id;
    if (target.category === 'done') {
      issue.resolutionId ??= '10000';
      issue.resolutionDate = now;
    } else {
      issue.resolutionId = null;
      issue.resolutionDate = null;
    }
    this.commit(issue, before, actor, 'issue_generic');
    const update = isObj(body.update) ? body.update : {};
    if (Array.isArray(update.comment)) {
      for (const op of update.comment) {
        if (isObj(op) && isObj(op.add)) {
          const text =
            apiVersion === '3' && isObj(op.add.body) ? fromAdf(op.add.body) : String(op.add.body ?? '');
          this.addComment(user, issue.id, { body: text }, '2');
        }
      }
    }
  }

  // --- comments ------------------------------------------------------------------------

  private commentBody(body: Obj, apiVersion: ApiVersion): string {
    const raw = body.body;
    const text = apiVersion === '3' && isObj(raw) ? fromAdf(raw) : raw;
    if (typeof text !== 'string' || !text.trim())
      throw fieldErrors({ comment: 'Comment body can not be empty!' });
    return text;
  }

  addComment(user: SimUser | undefined, keyOrId: string, body: Obj, apiVersion: ApiVersion = '2'): Comment {
    const issue = this.issue(user, keyOrId);
    const actor = this.need(
      user,
      'ADD_COMMENTS',
      this.projectOf(issue),
      'You do not have the permission to comment on this issue.',
    );
    const now = this.now();
    const comment: Comment = {
      id: this.store.nextId('comment'),
      issueId: issue.id,
      authorKey: actor.key,
      updateAuthorKey: actor.key,
      body: this.commentBody(body, apiVersion),
      created: now,
      updated: now,
    };
    issue.comments = [...issue.comments, comment];
    this.store.comments.set(comment.id, comment);
    this.store.touch(issue, now);
    this.events.emit({ kind: 'comment', name: 'comment_created', issue, comment, user: actor });
    this.events.emit({
      kind: 'issue',
      name: 'jira:issue_updated',
      issueEventTypeName: 'issue_commented',
      issue,
      comment,
      user: actor,
    });
    return comment;
  }

  comment(user: SimUser | undefined, keyOrId: string, commentId: string): { issue: Issue; comment: Comment } {
    const issue = this.issue(user, keyOrId);
    const comment = issue.comments.find((c) => c.id === commentId);
    if (!comment) throw notFound(`Can not find a comment for the id: ${commentId}.`);
    return { issue, comment };
  }

  updateComment(
    user: SimUser | undefined,
    keyOrId: string,
    commentId: string,
    body: Obj,
    apiVersion: ApiVersion = '2',
  ): Comment {
    const { issue, comment } = this.comment(user, keyOrId, commentId);
    const actor = this.requireUser(user);
    if (comment.authorKey !== actor.key && !this.can(actor, 'ADMINISTER_PROJECTS', this.projectOf(issue)))
      throw forbidden('You do not have the permission to edit this comment.');
    comment.body = this.commentBody(body, apiVersion);
    comment.updateAuthorKey = actor.key;
    comment.updated = this.now();
    this.store.touch(issue, comment.updated);
    this.events.emit({ kind: 'comment', name: 'comment_updated', issue, comment, user: actor });
    this.events.emit({
      kind: 'issue',
      name: 'jira:issue_updated',
      issueEventTypeName: 'issue_comment_edited',
      issue,
      comment,
      user: actor,
    });
    return comment;
  }

  deleteComment(user: SimUser | undefined, keyOrId: string, commentId: string): void {
    const { issue, comment } = this.comment(user, keyOrId, commentId);
    const actor = this.requireUser(user);
    if (comment.authorKey !== actor.key && !this.can(actor, 'ADMINISTER_PROJECTS', this.projectOf(issue)))
      throw forbidden('You do not have the permission to delete this comment.');
    issue.comments = issue.comments.filter((c) => c !== comment);
    this.store.comments.delete(comment.id);
    this.store.touch(issue, this.now());
    this.events.emit({ kind: 'comment', name: 'comment_deleted', issue, comment, user: actor });
    this.events.emit({
      kind: 'issue',
      name: 'jira:issue_updated',
      issueEventTypeName: 'issue_comment_deleted',
      issue,
      comment,
      user: actor,
    });
  }

  // --- attachments ---------------------------------------------------------------------

  addAttachments(
    user: SimUser | undefined,
    keyOrId: string,
    files: { filename: string; mimeType: string; content: Uint8Array }[],
  ): Attachment[] {
    const issue = this.issue(user, keyOrId);
    const project = this.projectOf(issue);
    const actor = this.need(
      user,
      'CREATE_ATTACHMENTS',
      project,
      'You do not have permission to create attachments for this issue.',
    );
    const now = this.now();
    const created: Attachment[] = [];
    const before = snapshot(issue);
    for (const f of files) {
      const a: Attachment = {
        id: this.store.nextId('attachment'),
        issueId: issue.id,
        filename: f.filename,
        authorKey: actor.key,
        created: now,
        mimeType: f.mimeType || 'application/octet-stream',
        content: f.content,
      };
      issue.attachments = [...issue.attachments, a];
      this.store.attachments.set(a.id, a);
      created.push(a);
    }
    this.commit(
      issue,
      before,
      actor,
      'issue_updated',
      created.map((a) => this.item('Attachment', 'attachment', null, null, a.id, a.filename)),
    );
    return created;
  }

  attachment(user: SimUser | undefined, id: string): Attachment {
    this.requireUser(user);
    const a = this.store.attachments.get(id);
    const issue = a ? this.store.issues.get(a.issueId) : undefined;
    if (!a || !issue || !this.can(user, 'BROWSE_PROJECTS', this.projectOf(issue)))
      throw notFound(`The attachment with id '${id}' does not exist`);
    return a;
  }

  deleteAttachment(user: SimUser | undefined, id: string): void {
    const a = this.attachment(user, id);
    const issue = this.store.issues.get(a.issueId)!;
    const actor = this.requireUser(user);
    if (a.authorKey !== actor.key && !this.can(actor, 'ADMINISTER_PROJECTS', this.projectOf(issue)))
      throw forbidden('You do not have permission to delete this attachment.');
    const before = snapshot(issue);
    issue.attachments = issue.attachments.filter((x) => x !== a);
    this.store.attachments.delete(a.id);
    this.commit(issue, before, actor, 'issue_updated', [
      this.item('Attachment', 'attachment', a.id, a.filename, null, null),
    ]);
  }

  // --- links ---------------------------------------------------------------------------

  createLink(user: SimUser | undefined, body: Obj): IssueLink {
    const actor = this.requireUser(user);
    const typeRef = refOf(body.type);
    const type = LINK_TYPES.find((t) => t.id === typeRef?.id || t.name === typeRef?.name);
    if (!type) throw notFound(`No issue link type with name '${typeRef?.name ?? typeRef?.id ?? ''}' found.`);
    const find = (v: unknown) => {
      const ref = refOf(v);
      const key = ref?.key ?? ref?.id ?? '';
      const issue = this.store.findIssue(key);
      if (!issue || !this.can(actor, 'BROWSE_PROJECTS', this.projectOf(issue)))
        throw notFound(`Issue Does Not Exist`);
      return issue;
    };
    const inward = find(body.inwardIssue);
    const outward = find(body.outwardIssue);
    if (!this.can(actor, 'LINK_ISSUES', this.projectOf(inward)))
      throw forbidden(`No Link Issue Permission for issue '${inward.key}'.`);
    const link: IssueLink = {
      id: this.store.nextId('link'),
      typeId: type.id,
      inwardId: inward.id,
      outwardId: outward.id,
    };
    this.store.addLink(link);
    this.linkChangelog(inward, outward, type.outward, actor, true);
    this.linkChangelog(outward, inward, type.inward, actor, true);
    this.events.emit({ kind: 'issuelink', name: 'issuelink_created', link, user: actor });
    if (isObj(body.comment) && typeof body.comment.body === 'string' && body.comment.body.trim())
      this.addComment(user, inward.id, { body: body.comment.body });
    return link;
  }

  link(user: SimUser | undefined, id: string): IssueLink {
    this.requireUser(user);
    const link = this.store.links.get(id);
    const inward = link ? this.store.issues.get(link.inwardId) : undefined;
    if (!link || !inward || !this.can(user, 'BROWSE_PROJECTS', this.projectOf(inward)))
      throw notFound(`No issue link with id '${id}' exists.`);
    return link;
  }

  deleteLink(user: SimUser | undefined, id: string): void {
    const link = this.link(user, id);
    const inward = this.store.issues.get(link.inwardId)!;
    const outward = this.store.issues.get(link.outwardId)!;
    const actor = this.need(
      user,
      'LINK_ISSUES',
      this.projectOf(inward),
      `No Link Issue Permission for issue '${inward.key}'.`,
    );
    this.store.removeLink(link);
    const type = LINK_TYPES.find((t) => t.id === link.typeId)!;
    this.linkChangelog(inward, outward, type.outward, actor, false);
    this.linkChangelog(outward, inward, type.inward, actor, false);
    this.events.emit({ kind: 'issuelink', name: 'issuelink_deleted', link, user: actor });
  }

  private linkChangelog(issue: Issue, other: Issue, phrase: string, actor: SimUser, added: boolean): void {
    const text = `This issue ${phrase} ${other.key}`;
    const item = added
      ? this.item('Link', 'issuelinks', null, null, other.key, text)
      : this.item('Link', 'issuelinks', other.key, text, null, null);
    this.commit(issue, snapshot(issue), actor, 'issue_updated', [item]);
  }
}

export { JiraError };
