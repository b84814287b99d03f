/**
 * The in-memory Jira: plain records plus the indexes searches need (by id, by key, per
 * project, by `updated`). Everything here is synchronous and allocation-light so that
 * seeding 100 000 issues and paging through them never makes the simulator the bottleneck.
 */

export type Version = {
  id: string;
  projectId: string;
  name: string;
  description: string;
  released: boolean;
  archived: boolean;
  /** yyyy-MM-dd, as Jira stores it. */
  releaseDate: string | null;
  startDate: string | null;
};

export type Component = { id: string; projectId: string; name: string; description: string };

export type Project = {
  id: string;
  key: string;
  name: string;
  description: string;
  projectTypeKey: string;
  leadKey: string;
  /** Ordered as Jira shows them; `move` reorders this array. */
  versions: Version[];
  components: Component[];
  issueTypeIds: string[];
  /** Next number for issue keys (KEY-n); never reused, as in Jira. */
  nextNumber: number;
  issues: Set<Issue>;
};

export type ChangeItem = {
  field: string;
  fieldtype: string;
  fieldId: string;
  from: string | null;
  fromString: string | null;
  to: string | null;
  toString: string | null;
  /** Jira Cloud adds these to user fields' items (assignee, reporter). */
  tmpFromAccountId?: string | null;
  tmpToAccountId?: string | null;
};

export type ChangeGroup = { id: string; authorKey: string | null; created: number; items: ChangeItem[] };

export type Comment = {
  id: string;
  issueId: string;
  authorKey: string | null;
  updateAuthorKey: string | null;
  body: string;
  created: number;
  updated: number;
};

export type Attachment = {
  id: string;
  issueId: string;
  filename: string;
  authorKey: string | null;
  created: number;
  mimeType: string;
  content: Uint8Array;
};

export type IssueLink = { id: string; typeId: string; inwardId: string; outwardId: string };

export type Issue = {
  id: string;
  /** Numeric id, for ordering without parsing. */
  num: number;
  key: string;
  /** Keys the issue had before it was moved; Jira still resolves them. */
  formerKeys: string[];
  /** Number part of the key, for `ORDER BY key`. */
  keyNumber: number;
  projectId: string;
  issueTypeId: string;
  summary: string;
  description: string | null;
  environment: string | null;
  duedate: string | null;
  statusId: string;
  statusCategoryChanged: number;
  priorityId: string | null;
  resolutionId: string | null;
  resolutionDate: number | null;
  labels: string[];
  componentIds: string[];
  fixVersionIds: string[];
  versionIds: string[];
  assigneeKey: string | null;
  reporterKey: string | null;
  creatorKey: string | null;
  parentId: string | null;
  created: number;
  updated: number;
  comments: Comment[];
  attachments: Attachment[];
  changelog: ChangeGroup[];
};

const byUpdatedThenNum = (a: Issue, b: Issue) => a.updated - b.updated || a.num - b.num;

export class Store {
  readonly projects = new Map<string, Project>();
  readonly projectsByKey = new Map<string, Project>();
  readonly versions = new Map<string, Version>();
  readonly components = new Map<string, Component>();
  readonly issues = new Map<string, Issue>();
  /** Current and former keys (a moved issue stays reachable by its old key, as in Jira). */
  readonly issuesByKey = new Map<string, Issue>();
  readonly comments = new Map<string, Comment>();
  readonly attachments = new Map<string, Attachment>();
  readonly links = new Map<string, IssueLink>();
  readonly linksByIssue = new Map<string, Set<IssueLink>>();
  readonly subtasks = new Map<string, Set<Issue>>();
  /** All issues ordered by (updated, id): `updated >= X` is a binary search plus a slice. */
  byUpdated: Issue[] = [];
  /** Bumped on every change; search result caches are keyed on it. */
  revision = 0;
  private counters = {
    project: 10000,
    version: 10000,
    component: 10000,
    issue: 10000,
    comment: 10000,
    attachment: 10000,
    changelog: 10000,
    link: 10000,
  };

  nextId(kind: keyof Store['counters']): string {
    const id = this.counters[kind];
    this.counters[kind] = id + 1;
    return String(id);
  }

  findProject(keyOrId: string): Project | undefined {
    return this.projects.get(keyOrId) ?? this.projectsByKey.get(keyOrId.toUpperCase());
  }

  findIssue(keyOrId: string): Issue | undefined {
    return this.issues.get(keyOrId) ?? this.issuesByKey.get(keyOrId.toUpperCase());
  }

  addProject(project: Project): void {
    this.projects.set(project.id, project);
    this.projectsByKey.set(project.key, project);
    for (const v of project.versions) this.versions.set(v.id, v);
    for (const c of project.components) this.components.set(c.id, c);
    this.revision++;
  }

  /** Adds an issue; `bulk` skips the ordered insert (call `reindex()` once afterwards). */
  addIssue(issue: Issue, bulk = false): void {
    this.issues.set(issue.id, issue);
    this.issuesByKey.set(issue.key, issue);
    this.projects.get(issue.projectId)?.issues.add(issue);
    if (issue.parentId) this.subtaskSet(issue.parentId).add(issue);
    if (bulk) this.byUpdated.push(issue);
    else this.insertByUpdated(issue);
    this.revision++;
  }

  reindex(): void {
    this.byUpdated.sort(byUpdatedThenNum);
    this.revision++;
  }

  removeIssue(issue: Issue): void {
    this.issues.delete(issue.id);
    for (const key of issue.formerKeys) this.issuesByKey.delete(key);
    this.issuesByKey.delete(issue.key);
    this.projects.get(issue.projectId)?.issues.delete(issue);
    if (issue.parentId) this.subtasks.get(issue.parentId)?.delete(issue);
    for (const c of issue.comments) this.comments.delete(c.id);
    for (const a of issue.attachments) this.attachments.delete(a.id);
    for (const link of this.linksByIssue.get(issue.id) ?? []) this.removeLink(link);
    this.linksByIssue.delete(issue.id);
    const at = this.indexOfUpdated(issue);
    if (at >= 0) this.byUpdated.splice(at, 1);
    this.revision++;
  }

  /** Sets `updated` keeping the (updated, id) order intact. */
  touch(issue: Issue, updated: number): void {
    const at = this.indexOfUpdated(issue);
    if (at >= 0) this.byUpdated.splice(at, 1);
    issue.updated = updated;
    this.insertByUpdated(issue);
    this.revision++;
  }

  subtaskSet(parentId: string): Set<Issue> {
    let set = this.subtasks.get(parentId);
    if (!set) {
      set = new Set();
      this.subtasks.set(parentId, set);
    }
    return set;
  }

  addLink(link: IssueLink): void {
    this.links.set(link.id, link);
    for (const id of [link.inwardId, link.outwardId]) {
      let set = this.linksByIssue.get(id);
      if (!set) {
        set = new Set();
        this.linksByIssue.set(id, set);
      }
      set.add(link);
    }
    this.revision++;
  }

  removeLink(link: IssueLink): void {
    this.links.delete(link.id);
    this.linksByIssue.get(link.inwardId)?.delete(link);
    this.linksByIssue.get(link.outwardId)?.delete(link);
    this.revision++;
  }

  /** First index in byUpdated whose updated >= ms. */
  lowerBoundUpdated(ms: number): number {
    let lo = 0;
    let hi = this.byUpdated.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.byUpdated[mid]!.updated < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private indexOfUpdated(issue: Issue): number {
    let lo = 0;
    let hi = this.byUpdated.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (byUpdatedThenNum(this.byUpdated[mid]!, issue) < 0) lo = mid + 1;
      else hi = mid;
    }
    return this.byUpdated[lo] === issue ? lo : this.byUpdated.indexOf(issue);
  }

  private insertByUpdated(issue: Issue): void {
    const list = this.byUpdated;
    const last = list[list.length - 1];
    // Fast path: a change made "now" is almost always the newest.
    if (!last || byUpdatedThenNum(last, issue) <= 0) {
      list.push(issue);
      return;
    }
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (byUpdatedThenNum(list[mid]!, issue) < 0) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, issue);
  }
}
