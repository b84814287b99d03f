/**
 * A real parser for the JQL subset Testbridge and python-jira send, compiled to a
 * predicate plus a plan (which index yields the fewest candidates). Anything outside the
 * subset is refused with Jira's 400 wording: a simulator that guesses would hide bugs in
 * the JQL our product builds.
 */
import type { SimContext, SimUser } from '../context.js';
import { findIssueType, findPriority, findResolution, findStatus, STATUSES } from './catalog.js';
import { JiraError } from './errors.js';
import type { Issue, Project, Store } from './model.js';

type Token =
  | { kind: 'word'; text: string; pos: number }
  | { kind: 'string'; text: string; pos: number }
  | { kind: 'op'; text: string; pos: number }
  | { kind: 'punct'; text: '(' | ')' | ','; pos: number }
  | { kind: 'eof'; text: ''; pos: number };

export type JqlValue =
  | { kind: 'text'; text: string; quoted: boolean }
  | { kind: 'empty' }
  | { kind: 'function'; name: string; args: string[] };

export type JqlClause = { kind: 'clause'; field: string; op: string; values: JqlValue[]; list: boolean };
export type JqlNode =
  | JqlClause
  | { kind: 'and' | 'or'; children: JqlNode[] }
  | { kind: 'not'; child: JqlNode };
export type JqlSort = { field: string; direction: 'ASC' | 'DESC' };
export type JqlQuery = { where: JqlNode | null; orderBy: JqlSort[] };

const jqlError = (message: string) => new JiraError(400, [`Error in the JQL Query: ${message}`]);
const valueError = (message: string) => new JiraError(400, [message]);

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'empty', 'null', 'order', 'by', 'asc', 'desc']);
const OPERATORS_TEXT =
  "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'.";
const WORD_CHAR = /[A-Za-z0-9_.\-:/*+@[\]$#]/;

function where(pos: number): string {
  return `(line 1, character ${pos + 1})`;
}

export function tokenize(jql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < jql.length) {
    const ch = jql[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ kind: 'punct', text: ch, pos: i });
      i++;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const start = i;
      let text = '';
      i++;
      while (i < jql.length && jql[i] !== ch) {
        if (jql[i] === '\\' && i + 1 < jql.length) {
          const next = jql[i + 1]!;
          text += next === 'n' ? '\n' : next === 't' ? '\t' : next;
          i += 2;
        } else {
          text += jql[i];
          i++;
        }
      }
      if (i >= jql.length) throw jqlError(`Unterminated string literal ${where(start)}`);
      i++;
      tokens.push({ kind: 'string', text, pos: start });
      continue;
    }
    const two = jql.slice(i, i + 2);
    if (two === '!=' || two === '<=' || two === '>=' || two === '!~') {
      tokens.push({ kind: 'op', text: two, pos: i });
      i += 2;
      continue;
    }
    if (ch === '=' || ch === '<' || ch === '>' || ch === '~') {
      tokens.push({ kind: 'op', text: ch, pos: i });
      i++;
      continue;
    }
    if (WORD_CHAR.test(ch)) {
      const start = i;
      while (i < jql.length && WORD_CHAR.test(jql[i]!)) i++;
      tokens.push({ kind: 'word', text: jql.slice(start, i), pos: start });
      continue;
    }
    throw jqlError(
      `The character '${ch}' is a reserved JQL character. You must enclose it in a string or use the escape '\\u${ch
        .charCodeAt(0)
        .toString(16)
        .padStart(4, '0')}' instead. ${where(i)}`,
    );
  }
  tokens.push({ kind: 'eof', text: '', pos: jql.length });
  return tokens;
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.i]!;
  }
  private next(): Token {
    return this.tokens[this.i++]!;
  }
  private isWord(word: string, t = this.peek()): boolean {
    return t.kind === 'word' && t.text.toLowerCase() === word;
  }
  private acceptComma(): boolean {
    const t = this.peek();
    if (t.kind !== 'punct' || t.text !== ',') return false;
    this.next();
    return true;
  }
  private show(t: Token): string {
    return t.kind === 'eof' ? 'EOF' : `'${t.text}'`;
  }

  parse(): JqlQuery {
    let whereNode: JqlNode | null = null;
    if (this.peek().kind !== 'eof' && !this.isWord('order')) whereNode = this.or();
    const orderBy: JqlSort[] = [];
    if (this.isWord('order')) {
      this.next();
      if (!this.isWord('by'))
        throw jqlError(`Expecting 'by' but got ${this.show(this.peek())}. ${where(this.peek().pos)}`);
      this.next();
      do {
        const field = this.next();
        if (field.kind !== 'word' && field.kind !== 'string')
          throw jqlError(`Expecting a field name but got ${this.show(field)}. ${where(field.pos)}`);
        let direction: 'ASC' | 'DESC' = 'ASC';
        if (this.isWord('asc') || this.isWord('desc'))
          direction = this.next().text.toUpperCase() as 'ASC' | 'DESC';
        orderBy.push({ field: field.text, direction });
      } while (this.acceptComma());
    }
    const rest = this.peek();
    if (rest.kind !== 'eof') {
      throw jqlError(`Expecting either 'OR' or 'AND' but got ${this.show(rest)}. ${where(rest.pos)}`);
    }
    return { where: whereNode, orderBy };
  }

  private or(): JqlNode {
    const children = [this.and()];
    while (this.isWord('or')) {
      this.next();
      children.push(this.and());
    }
    return children.length === 1 ? children[0]! : { kind: 'or', children };
  }

  private and(): JqlNode {
    const children = [this.not()];
    while (this.isWord('and')) {
      this.next();
      children.push(this.not());
    }
    return children.length === 1 ? children[0]! : { kind: 'and', children };
  }

  private not(): JqlNode {
    if (this.isWord('not')) {
      this.next();
      return { kind: 'not', child: this.not() };
    }
    const t = this.peek();
    if (t.kind === 'punct' && t.text === '(') {
      this.next();
      const inner = this.or();
      const close = this.next();
      if (close.kind !== 'punct' || close.text !== ')')
        throw jqlError(`Expecting ')' but got ${this.show(close)}. ${where(close.pos)}`);
      return inner;
    }
    return this.clause();
  }

  private clause(): JqlClause {
    const fieldToken = this.next();
    if (
      (fieldToken.kind !== 'word' && fieldToken.kind !== 'string') ||
      (fieldToken.kind === 'word' && KEYWORDS.has(fieldToken.text.toLowerCase()))
    ) {
      throw jqlError(`Expecting a field name but got ${this.show(fieldToken)}. ${where(fieldToken.pos)}`);
    }
    const field = fieldToken.text;
    const opToken = this.next();
    let op: string;
    if (opToken.kind === 'op') op = opToken.text;
    else if (this.isWord('in', opToken)) op = 'in';
    else if (this.isWord('is', opToken)) {
      if (this.isWord('not')) {
        this.next();
        op = 'is not';
      } else op = 'is';
    } else if (this.isWord('not', opToken)) {
      if (!this.isWord('in'))
        throw jqlError(`Expecting 'IN' but got ${this.show(this.peek())}. ${where(this.peek().pos)}`);
      this.next();
      op = 'not in';
    } else {
      throw jqlError(
        `Expecting operator but got ${this.show(opToken)}. ${OPERATORS_TEXT} ${where(opToken.pos)}`,
      );
    }
    if (op === 'in' || op === 'not in') {
      const open = this.next();
      if (open.kind !== 'punct' || open.text !== '(')
        throw jqlError(`Expecting '(' but got ${this.show(open)}. ${where(open.pos)}`);
      const values: JqlValue[] = [];
      if (!(this.peek().kind === 'punct' && this.peek().text === ')')) {
        do {
          values.push(this.value());
        } while (this.acceptComma());
      }
      const close = this.next();
      if (close.kind !== 'punct' || close.text !== ')')
        throw jqlError(`Expecting ')' or ',' but got ${this.show(close)}. ${where(close.pos)}`);
      return { kind: 'clause', field, op, values, list: true };
    }
    return { kind: 'clause', field, op, values: [this.value()], list: false };
  }

  private value(): JqlValue {
    const t = this.next();
    if (t.kind === 'string') return { kind: 'text', text: t.text, quoted: true };
    if (t.kind !== 'word')
      throw jqlError(`Expecting either a value, list or function but got ${this.show(t)}. ${where(t.pos)}`);
    const lower = t.text.toLowerCase();
    if (lower === 'empty' || lower === 'null') return { kind: 'empty' };
    if (KEYWORDS.has(lower)) {
      throw jqlError(`Expecting either a value, list or function but got '${t.text}'. ${where(t.pos)}`);
    }
    if (this.peek().kind === 'punct' && this.peek().text === '(') {
      this.next();
      const args: string[] = [];
      while (!(this.peek().kind === 'punct' && this.peek().text === ')')) {
        const a = this.next();
        if (a.kind === 'eof') throw jqlError(`Expecting ')' but got EOF. ${where(a.pos)}`);
        if (a.kind === 'word' || a.kind === 'string') args.push(a.text);
      }
      this.next();
      return { kind: 'function', name: t.text, args };
    }
    return { kind: 'text', text: t.text, quoted: false };
  }
}

export function parseJql(jql: string): JqlQuery {
  return new Parser(tokenize(jql)).parse();
}

// ---------------------------------------------------------------------------------------
// Compilation against the store.

export type Predicate = (issue: Issue) => boolean;
export type Plan =
  | { kind: 'all' }
  | { kind: 'issues'; issues: Issue[] }
  | { kind: 'projects'; projects: Project[] }
  | { kind: 'updatedSince'; ms: number };

export type CompiledJql = {
  predicate: Predicate;
  plan: Plan;
  compare: ((a: Issue, b: Issue) => number) | null;
  warnings: string[];
  /** True when a relative date or now() was used: the result depends on the clock, not only on the data. */
  usesClock: boolean;
};

export type CompileOptions = {
  ctx: SimContext;
  store: Store;
  user: SimUser | undefined;
  /** Jira's validateQuery: 'strict' refuses unknown values, 'warn' turns them into warnings. */
  validation: 'strict' | 'warn';
  /** Evaluate as Jira itself (admin webhooks): every project is visible. */
  system?: boolean;
};

const FIELD_ALIASES: Record<string, string> = {
  project: 'project',
  issuetype: 'issuetype',
  type: 'issuetype',
  key: 'key',
  issuekey: 'key',
  id: 'key',
  status: 'status',
  statuscategory: 'statusCategory',
  priority: 'priority',
  resolution: 'resolution',
  assignee: 'assignee',
  reporter: 'reporter',
  creator: 'creator',
  labels: 'labels',
  fixversion: 'fixVersion',
  affectedversion: 'affectedVersion',
  component: 'component',
  summary: 'summary',
  description: 'description',
  text: 'text',
  created: 'created',
  createddate: 'created',
  updated: 'updated',
  updateddate: 'updated',
  resolved: 'resolutiondate',
  resolutiondate: 'resolutiondate',
  due: 'duedate',
  duedate: 'duedate',
  parent: 'parent',
};

const SORTABLE: Record<string, (a: Issue, b: Issue, store: Store) => number> = {
  key: (a, b, store) => {
    if (a.projectId === b.projectId) return a.keyNumber - b.keyNumber;
    const ka = store.projects.get(a.projectId)?.key ?? '';
    const kb = store.projects.get(b.projectId)?.key ?? '';
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  },
  id: (a, b) => a.num - b.num,
  created: (a, b) => a.created - b.created,
  updated: (a, b) => a.updated - b.updated,
  resolutiondate: (a, b) => (a.resolutionDate ?? 0) - (b.resolutionDate ?? 0),
  duedate: (a, b) => (a.duedate ?? '').localeCompare(b.duedate ?? ''),
  // Jira sorts priority by its configured order: Highest first when DESC.
  priority: (a, b) => Number(b.priorityId ?? 99) - Number(a.priorityId ?? 99),
  status: (a, b) =>
    STATUSES.findIndex((s) => s.id === a.statusId) - STATUSES.findIndex((s) => s.id === b.statusId),
  summary: (a, b) => a.summary.localeCompare(b.summary),
  project: (a, b, store) =>
    (store.projects.get(a.projectId)?.name ?? '').localeCompare(store.projects.get(b.projectId)?.name ?? ''),
  issuetype: (a, b) => a.issueTypeId.localeCompare(b.issueTypeId),
  assignee: (a, b) => (a.assigneeKey ?? '').localeCompare(b.assigneeKey ?? ''),
  reporter: (a, b) => (a.reporterKey ?? '').localeCompare(b.reporterKey ?? ''),
};

const STATUS_CATEGORY_NAMES: Record<string, string> = {
  new: 'new',
  'to do': 'new',
  '2': 'new',
  indeterminate: 'indeterminate',
  'in progress': 'indeterminate',
  '4': 'indeterminate',
  done: 'done',
  '3': 'done',
};

const fieldMissing = (name: string) =>
  valueError(`Field '${name}' does not exist or you do not have permission to view it.`);

function canonicalField(name: string): string {
  const canonical = FIELD_ALIASES[name.toLowerCase()];
  if (!canonical) throw fieldMissing(name);
  return canonical;
}

const PERIOD = /^([-+]?)((?:\d+\s*[wdhm]\s*)+)$/i;
const ABSOLUTE = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?$/;

/** Jira date values: "yyyy-MM-dd[ HH:mm]", "yyyy/MM/dd[ HH:mm]", periods like -5m or "4w 2d", epoch ms. */
export function parseJqlDate(field: string, value: JqlValue, now: number): number {
  const invalid = (text: string) =>
    valueError(
      `Date value '${text}' for field '${field}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.`,
    );
  if (value.kind === 'function') {
    const name = value.name.toLowerCase();
    const d = new Date(now);
    if (name === 'now') return now;
    if (name === 'startofday') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    if (name === 'endofday') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1) - 1;
    throw valueError(`Unable to find JQL function '${value.name}(${value.args.join(', ')})'.`);
  }
  if (value.kind !== 'text') throw invalid('EMPTY');
  const text = value.text.trim();
  if (/^\d{10,}$/.test(text)) return Number(text);
  const abs = ABSOLUTE.exec(text);
  if (abs) {
    const [, y, m, d, hh, mm] = abs;
    const ms = Date.UTC(Number(y), Number(m) - 1, Number(d), Number(hh ?? 0), Number(mm ?? 0));
    if (Number.isNaN(ms) || Number(m) > 12 || Number(d) > 31 || Number(hh ?? 0) > 23) throw invalid(text);
    return ms;
  }
  const period = PERIOD.exec(text);
  if (period) {
    const sign = period[1] === '-' ? -1 : 1;
    let total = 0;
    for (const part of period[2]!.matchAll(/(\d+)\s*([wdhm])/gi)) {
      const n = Number(part[1]);
      const unit = part[2]!.toLowerCase();
      total +=
        n * (unit === 'w' ? 604_800_000 : unit === 'd' ? 86_400_000 : unit === 'h' ? 3_600_000 : 60_000);
    }
    return now + sign * total;
  }
  throw invalid(text);
}

export function compileJql(query: JqlQuery, options: CompileOptions): CompiledJql {
  const { ctx, store, user } = options;
  const warnings: string[] = [];
  let usesClock = false;
  const browsable = new Map<string, boolean>();
  const canBrowse = (project: Project) => {
    let ok = browsable.get(project.id);
    if (ok === undefined) {
      ok =
        options.system === true ||
        (user !== undefined && ctx.hasPermission(user, 'BROWSE_PROJECTS', project.key));
      browsable.set(project.id, ok);
    }
    return ok;
  };
  const now = ctx.clock.now();

  const texts = (clause: JqlClause): string[] =>
    clause.values.flatMap((v) => {
      if (v.kind === 'text') return [v.text];
      if (v.kind === 'function' && v.name.toLowerCase() === 'currentuser') return [user?.key ?? ''];
      if (v.kind === 'function')
        throw valueError(`Unable to find JQL function '${v.name}(${v.args.join(', ')})'.`);
      return [];
    });

  const requireOps = (clause: JqlClause, field: string, ops: string[]) => {
    if (!ops.includes(clause.op)) {
      throw valueError(
        `The operator '${clause.op.toUpperCase()}' is not supported by the '${clause.field}' field.`,
      );
    }
    if ((clause.op === 'is' || clause.op === 'is not') && clause.values[0]?.kind !== 'empty') {
      throw valueError(`The operator '${clause.op.toUpperCase()}' is not supported by the '${field}' field.`);
    }
  };

  const missingValue = (field: string, text: string) => {
    const message = `The value '${text}' does not exist for the field '${field}'.`;
    if (options.validation === 'strict') throw valueError(message);
    warnings.push(message);
  };

  /** Equality-style clause over a set of ids the issue has (1 for single-valued fields). */
  const membership = (
    clause: JqlClause,
    ids: Set<string>,
    hasEmpty: boolean,
    get: (i: Issue) => string[],
  ) => {
    const op = clause.op;
    if (op === 'is' || op === 'is not') {
      const empty = (i: Issue) => get(i).length === 0;
      return op === 'is' ? empty : (i: Issue) => !empty(i);
    }
    const positive = op === '=' || op === 'in';
    return (i: Issue) => {
      const values = get(i);
      let hit = hasEmpty && values.length === 0;
      for (const v of values) if (ids.has(v)) hit = true;
      return positive ? hit : !hit && values.length > 0;
    };
  };

  const compileClause = (clause: JqlClause): { predicate: Predicate; plan: Plan } => {
    const field = canonicalField(clause.field);
    const all: Plan = { kind: 'all' };
    const hasEmpty = clause.values.some((v) => v.kind === 'empty');
    const eqOps = ['=', '!=', 'in', 'not in', 'is', 'is not'];
    switch (field) {
      case 'project': {
        requireOps(clause, field, ['=', '!=', 'in', 'not in']);
        const projects: Project[] = [];
        for (const text of texts(clause)) {
          const p =
            store.findProject(text) ??
            [...store.projects.values()].find((x) => x.name.toLowerCase() === text.toLowerCase());
          if (p && canBrowse(p)) projects.push(p);
          else missingValue('project', text);
        }
        const ids = new Set(projects.map((p) => p.id));
        const positive = clause.op === '=' || clause.op === 'in';
        return {
          predicate: positive ? (i) => ids.has(i.projectId) : (i) => !ids.has(i.projectId),
          plan: positive ? { kind: 'projects', projects } : all,
        };
      }
      case 'key': {
        requireOps(clause, clause.field, ['=', '!=', 'in', 'not in']);
        const issues: Issue[] = [];
        for (const text of texts(clause)) {
          const issue = store.findIssue(text);
          const project = issue ? store.projects.get(issue.projectId) : undefined;
          if (issue && project && canBrowse(project)) issues.push(issue);
          else {
            const message = `An issue with key '${text}' does not exist for field '${clause.field}'.`;
            if (options.validation === 'strict') throw valueError(message);
            warnings.push(message);
          }
        }
        const set = new Set(issues);
        const positive = clause.op === '=' || clause.op === 'in';
        return {
          predicate: positive ? (i) => set.has(i) : (i) => !set.has(i),
          plan: positive ? { kind: 'issues', issues } : all,
        };
      }
      case 'issuetype':
      case 'status':
      case 'priority':
      case 'resolution':
      case 'statusCategory': {
        requireOps(clause, clause.field, eqOps);
        const ids = new Set<string>();
        for (const text of texts(clause)) {
          let id: string | undefined;
          if (field === 'issuetype') id = findIssueType(text)?.id;
          else if (field === 'status') id = findStatus(text)?.id;
          else if (field === 'priority') id = findPriority(text)?.id;
          else if (field === 'statusCategory') id = STATUS_CATEGORY_NAMES[text.toLowerCase()];
          else if (text.toLowerCase() === 'unresolved') id = '';
          else id = findResolution(text)?.id;
          if (id === undefined) missingValue(clause.field, text);
          else ids.add(id);
        }
        const get: (i: Issue) => string[] =
          field === 'issuetype'
            ? (i) => [i.issueTypeId]
            : field === 'status'
              ? (i) => [i.statusId]
              : field === 'priority'
                ? (i) => (i.priorityId ? [i.priorityId] : [])
                : field === 'statusCategory'
                  ? (i) => [findStatus(i.statusId)!.category]
                  : (i) => (i.resolutionId ? [i.resolutionId] : []);
        const emptyAware = field === 'resolution' && ids.has('');
        return { predicate: membership(clause, ids, hasEmpty || emptyAware, get), plan: all };
      }
      case 'assignee':
      case 'reporter':
      case 'creator': {
        requireOps(clause, clause.field, eqOps);
        const keys = new Set<string>();
        for (const text of texts(clause)) {
          const u = text === '' ? undefined : ctx.findUser(text);
          if (u) keys.add(u.key);
          else if (text !== '') missingValue(clause.field, text);
        }
        const get = (i: Issue) => {
          const k =
            field === 'assignee' ? i.assigneeKey : field === 'reporter' ? i.reporterKey : i.creatorKey;
          return k === null ? [] : [k];
        };
        return { predicate: membership(clause, keys, hasEmpty, get), plan: all };
      }
      case 'labels': {
        requireOps(clause, clause.field, eqOps);
        return {
          predicate: membership(clause, new Set(texts(clause)), hasEmpty, (i) => i.labels),
          plan: all,
        };
      }
      case 'fixVersion':
      case 'affectedVersion':
      case 'component': {
        requireOps(clause, clause.field, eqOps);
        const ids = new Set<string>();
        for (const text of texts(clause)) {
          const matches =
            field === 'component'
              ? [...store.components.values()].filter((c) => c.id === text || c.name === text)
              : [...store.versions.values()].filter((v) => v.id === text || v.name === text);
          if (matches.length === 0) missingValue(clause.field, text);
          for (const m of matches) ids.add(m.id);
        }
        const get =
          field === 'component'
            ? (i: Issue) => i.componentIds
            : field === 'fixVersion'
              ? (i: Issue) => i.fixVersionIds
              : (i: Issue) => i.versionIds;
        return { predicate: membership(clause, ids, hasEmpty, get), plan: all };
      }
      case 'parent': {
        requireOps(clause, clause.field, ['=', '!=', 'in', 'not in']);
        const ids = new Set<string>();
        for (const text of texts(clause)) {
          const p = store.findIssue(text);
          if (p) ids.add(p.id);
          else missingValue('parent', text);
        }
        return {
          predicate: membership(clause, ids, false, (i) => (i.parentId ? [i.parentId] : [])),
          plan: all,
        };
      }
      case 'summary':
      case 'description':
      case 'text': {
        if (clause.op === 'is' || clause.op === 'is not') {
          requireOps(clause, clause.field, ['is', 'is not']);
          const get = (i: Issue) =>
            field === 'description' ? (i.description ? [i.description] : []) : [i.summary];
          return { predicate: membership(clause, new Set(), true, get), plan: all };
        }
        if (clause.op !== '~' && clause.op !== '!~') {
          throw valueError(
            `The operator '${clause.op.toUpperCase()}' is not supported by the '${clause.field}' field.`,
          );
        }
        const needle = (texts(clause)[0] ?? '').replace(/[*?]/g, '').toLowerCase();
        const haystack = (i: Issue) =>
          field === 'summary'
            ? i.summary
            : field === 'description'
              ? (i.description ?? '')
              : `${i.summary}\n${i.description ?? ''}\n${i.comments.map((c) => c.body).join('\n')}`;
        const contains = (i: Issue) => haystack(i).toLowerCase().includes(needle);
        return { predicate: clause.op === '~' ? contains : (i) => !contains(i), plan: all };
      }
      case 'created':
      case 'updated':
      case 'resolutiondate':
      case 'duedate': {
        const get = (i: Issue): number | null =>
          field === 'created'
            ? i.created
            : field === 'updated'
              ? i.updated
              : field === 'resolutiondate'
                ? i.resolutionDate
                : i.duedate
                  ? Date.parse(`${i.duedate}T00:00:00Z`)
                  : null;
        if (clause.op === 'is' || clause.op === 'is not') {
          requireOps(clause, clause.field, ['is', 'is not']);
          return {
            predicate: clause.op === 'is' ? (i) => get(i) === null : (i) => get(i) !== null,
            plan: all,
          };
        }
        if (clause.list || clause.op === '~' || clause.op === '!~') {
          throw valueError(
            `The operator '${clause.op.toUpperCase()}' is not supported by the '${clause.field}' field.`,
          );
        }
        const raw = clause.values[0]!;
        if (raw.kind === 'function' || (raw.kind === 'text' && PERIOD.test(raw.text.trim())))
          usesClock = true;
        const ms = parseJqlDate(clause.field, raw, now);
        const test: (v: number) => boolean =
          clause.op === '>='
            ? (v) => v >= ms
            : clause.op === '>'
              ? (v) => v > ms
              : clause.op === '<='
                ? (v) => v <= ms
                : clause.op === '<'
                  ? (v) => v < ms
                  : clause.op === '='
                    ? (v) => v === ms
                    : (v) => v !== ms;
        const plan: Plan =
          field === 'updated' && (clause.op === '>=' || clause.op === '>')
            ? { kind: 'updatedSince', ms }
            : all;
        return {
          predicate: (i) => {
            const v = get(i);
            return v !== null && test(v);
          },
          plan,
        };
      }
      default:
        throw fieldMissing(clause.field);
    }
  };

  const planSize = (plan: Plan): number => {
    switch (plan.kind) {
      case 'all':
        return store.issues.size;
      case 'issues':
        return plan.issues.length;
      case 'projects':
        return plan.projects.reduce((n, p) => n + p.issues.size, 0);
      case 'updatedSince':
        return store.byUpdated.length - store.lowerBoundUpdated(plan.ms);
    }
  };

  const compileNode = (node: JqlNode): { predicate: Predicate; plan: Plan } => {
    if (node.kind === 'clause') return compileClause(node);
    if (node.kind === 'not') {
      const inner = compileNode(node.child).predicate;
      return { predicate: (i) => !inner(i), plan: { kind: 'all' } };
    }
    const parts = node.children.map(compileNode);
    const predicates = parts.map((p) => p.predicate);
    if (node.kind === 'or') return { predicate: (i) => predicates.some((p) => p(i)), plan: { kind: 'all' } };
    // AND: any child's candidate set is a superset of the result, so take the smallest.
    let best: Plan = { kind: 'all' };
    let bestSize = planSize(best);
    for (const p of parts) {
      const size = planSize(p.plan);
      if (size < bestSize) {
        best = p.plan;
        bestSize = size;
      }
    }
    return { predicate: (i) => predicates.every((p) => p(i)), plan: best };
  };

  const compiled = query.where
    ? compileNode(query.where)
    : { predicate: () => true, plan: { kind: 'all' } as Plan };
  const visible: Predicate = (i) => {
    const project = store.projects.get(i.projectId);
    return project !== undefined && canBrowse(project);
  };
  const inner = compiled.predicate;

  let compare: CompiledJql['compare'] = null;
  if (query.orderBy.length > 0) {
    const comparators = query.orderBy.map((sort) => {
      const canonical = FIELD_ALIASES[sort.field.toLowerCase()];
      const name = canonical === 'key' && sort.field.toLowerCase() === 'id' ? 'id' : canonical;
      if (!name) throw fieldMissing(sort.field);
      const cmp = SORTABLE[name];
      if (!cmp) throw valueError(`Field '${sort.field}' does not support sorting.`);
      return sort.direction === 'DESC'
        ? (a: Issue, b: Issue) => cmp(b, a, store)
        : (a: Issue, b: Issue) => cmp(a, b, store);
    });
    compare = (a, b) => {
      for (const c of comparators) {
        const r = c(a, b);
        if (r !== 0) return r;
      }
      return a.num - b.num;
    };
  }
  return { predicate: (i) => visible(i) && inner(i), plan: compiled.plan, compare, warnings, usesClock };
}
