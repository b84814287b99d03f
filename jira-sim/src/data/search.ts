/**
 * Runs JQL against the store. Results are cached per (query, user, store revision), so a
 * client paging through 100 000 issues pays for filtering and sorting once, and every
 * later page is a slice.
 */
import type { SimContext, SimUser } from '../context.js';
import { compileJql, parseJql, type CompiledJql, type JqlQuery } from './jql.js';
import type { Issue, Store } from './model.js';

export type SearchResult = { issues: Issue[]; warnings: string[] };

const CACHE_LIMIT = 32;

export class SearchEngine {
  private readonly cache = new Map<string, { revision: number; result: SearchResult }>();

  constructor(
    private readonly ctx: SimContext,
    private readonly store: Store,
  ) {}

  run(jql: string, user: SimUser | undefined, validation: 'strict' | 'warn' = 'strict'): SearchResult {
    const cacheKey = `${user?.key ?? ''}\u0000${validation}\u0000${jql}`;
    const hit = this.cache.get(cacheKey);
    if (hit && hit.revision === this.store.revision) return hit.result;
    const query = parseJql(jql);
    const compiled = compileJql(query, { ctx: this.ctx, store: this.store, user, validation });
    const result = { issues: this.execute(query, compiled), warnings: compiled.warnings };
    if (!compiled.usesClock) {
      if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(cacheKey, { revision: this.store.revision, result });
    }
    return result;
  }

  /**
   * Whether one issue matches a webhook's JQL filter: as the given user (dynamic webhooks
   * act for their app's user), or as the system (admin webhooks) when user is undefined.
   */
  matches(jql: string, issue: Issue, user: SimUser | undefined): boolean {
    const compiled = compileJql(parseJql(jql), {
      ctx: this.ctx,
      store: this.store,
      user,
      validation: 'warn',
      system: user === undefined,
    });
    return compiled.predicate(issue);
  }

  private execute(query: JqlQuery, compiled: CompiledJql): Issue[] {
    const { store } = this;
    const { plan, predicate } = compiled;
    let ordered = false;
    const out: Issue[] = [];
    const take = (issues: Iterable<Issue>) => {
      for (const issue of issues) if (predicate(issue)) out.push(issue);
    };
    if (plan.kind === 'all') {
      take(store.byUpdated);
      ordered = true;
    } else if (plan.kind === 'updatedSince') {
      const list = store.byUpdated;
      for (let i = store.lowerBoundUpdated(plan.ms); i < list.length; i++) {
        const issue = list[i]!;
        if (predicate(issue)) out.push(issue);
      }
      ordered = true;
    } else if (plan.kind === 'issues') take(new Set(plan.issues));
    else for (const project of plan.projects) take(project.issues);

    const sorts = query.orderBy;
    const single = sorts.length === 1 ? sorts[0]! : undefined;
    if (ordered && single && single.field.toLowerCase() === 'updated') {
      // Already in (updated, id) order: the common reconciliation query needs no sort.
      if (single.direction === 'DESC') out.reverse();
      return out;
    }
    if (compiled.compare) out.sort(compiled.compare);
    // Without ORDER BY the newest issues come first, as in Jira's issue navigator.
    else out.sort((a, b) => b.num - a.num);
    return out;
  }
}
