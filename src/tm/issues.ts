/**
 * Requirements and defects as the UI reads them: Jira issues of the mapped types, with their
 * fix versions resolved to releases. Read-only here: Jira is their source of truth.
 */
import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import type { Database, TmIssueKind, TmIssuesTable } from '../store/schema.js';

export type IssueView = {
  id: string;
  projectId: string;
  kind: TmIssueKind;
  jiraIssueId: string;
  jiraKey: string;
  issueType: string;
  summary: string | null;
  description: string | null;
  status: string | null;
  statusCategory: string | null;
  priority: string | null;
  labels: string[];
  components: string[];
  fixVersions: { jiraVersionId: string; releaseId: string | null; name: string | null }[];
  assignee: { id: string | null; name: string | null } | null;
  parentKey: string | null;
  jiraUpdated: string;
  /** Set when the issue left the mapping: deleted, moved, retyped or out of the filter. */
  removed: { reason: string; at: string | null } | null;
};

export const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
  /** Text in the key or summary. */
  q: z.string().trim().max(200).optional(),
  status: z.string().trim().max(200).optional(),
  releaseId: z.string().trim().max(100).optional(),
  includeRemoved: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true'),
});
export type ListQuery = z.infer<typeof listQuerySchema>;

export type Page<T> = { items: T[]; total: number; limit: number; offset: number };

const list = (text: string): string[] => {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
};

export async function listIssues(
  db: Kysely<Database>,
  projectId: string,
  kind: TmIssueKind,
  query: ListQuery,
): Promise<Page<IssueView>> {
  let q = db.selectFrom('tm_issues').where('project_id', '=', projectId).where('kind', '=', kind);
  if (!query.includeRemoved) q = q.where('removed_reason', 'is', null);
  if (query.status) q = q.where('status', '=', query.status);
  if (query.q) {
    // Wildcards are dropped rather than escaped: SQLite and PostgreSQL escape LIKE differently.
    const like = `%${query.q.replace(/[%_\\]/g, '')}%`;
    q = q.where((eb) =>
      eb.or([
        eb(eb.fn('lower', ['summary']), 'like', like.toLowerCase()),
        eb(eb.fn('lower', ['jira_key']), 'like', like.toLowerCase()),
      ]),
    );
  }
  if (query.releaseId) {
    const release = await db
      .selectFrom('tm_releases')
      .select('jira_version_id')
      .where('id', '=', query.releaseId)
      .where('project_id', '=', projectId)
      .executeTakeFirst();
    if (!release) return { items: [], total: 0, limit: query.limit, offset: query.offset };
    q = q.where('fix_version_ids', 'like', `%"${release.jira_version_id.replace(/[%_"\\]/g, '')}"%`);
  }
  const totalRow = await q.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst();
  const rows = await q
    .selectAll()
    .orderBy('jira_key')
    .orderBy('id')
    .limit(query.limit)
    .offset(query.offset)
    .execute();
  return {
    items: await issueViews(db, projectId, rows),
    total: Number(totalRow?.n ?? 0),
    limit: query.limit,
    offset: query.offset,
  };
}

export async function issueViews(
  db: Kysely<Database>,
  projectId: string,
  rows: Selectable<TmIssuesTable>[],
): Promise<IssueView[]> {
  const releases = await db
    .selectFrom('tm_releases')
    .select(['id', 'jira_version_id', 'name'])
    .where('project_id', '=', projectId)
    .execute();
  const byVersion = new Map(releases.map((r) => [r.jira_version_id, r]));
  return rows.map((r) => ({
    id: r.id,
    projectId: r.project_id,
    kind: r.kind,
    jiraIssueId: r.jira_issue_id,
    jiraKey: r.jira_key,
    issueType: r.issue_type,
    summary: r.summary,
    description: r.description,
    status: r.status,
    statusCategory: r.status_category,
    priority: r.priority,
    labels: list(r.labels),
    components: list(r.components),
    fixVersions: list(r.fix_version_ids).map((v) => ({
      jiraVersionId: v,
      releaseId: byVersion.get(v)?.id ?? null,
      name: byVersion.get(v)?.name ?? null,
    })),
    assignee: r.assignee_id || r.assignee_name ? { id: r.assignee_id, name: r.assignee_name } : null,
    parentKey: r.parent_key,
    jiraUpdated: r.jira_updated,
    removed: r.removed_reason ? { reason: r.removed_reason, at: r.removed_at } : null,
  }));
}

export type ReleaseView = {
  id: string;
  projectId: string;
  jiraVersionId: string;
  name: string;
  description: string | null;
  released: boolean;
  archived: boolean;
  releaseDate: string | null;
  startDate: string | null;
  sequence: number;
  deleted: { at: string; mergedToReleaseId: string | null } | null;
};

export async function listReleases(
  db: Kysely<Database>,
  projectId: string,
  options: { includeDeleted?: boolean } = {},
): Promise<ReleaseView[]> {
  let q = db.selectFrom('tm_releases').selectAll().where('project_id', '=', projectId);
  if (!options.includeDeleted) q = q.where('deleted_at', 'is', null);
  const rows = await q.orderBy('sequence').orderBy('name').execute();
  return rows.map((r) => ({
    id: r.id,
    projectId: r.project_id,
    jiraVersionId: r.jira_version_id,
    name: r.name,
    description: r.description,
    released: r.released === 1,
    archived: r.archived === 1,
    releaseDate: r.release_date,
    startDate: r.start_date,
    sequence: Number(r.sequence),
    deleted: r.deleted_at ? { at: r.deleted_at, mergedToReleaseId: r.merged_to_release_id } : null,
  }));
}
