/** Testbridge projects: what test cases live in and what a Jira project is mapped to. */
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import { AppError, notFound } from '../errors.js';
import type { Database, TmProjectsTable } from '../store/schema.js';

export const projectInputSchema = z
  .object({
    key: z
      .string()
      .trim()
      .regex(/^[A-Z][A-Z0-9_]{1,19}$/, {
        error: 'must be 2-20 upper-case letters, digits or _, starting with a letter',
      }),
    name: z.string().trim().min(1, { error: 'is required' }).max(200),
    description: z.string().max(10_000).optional(),
  })
  .strict();
export type ProjectInput = z.infer<typeof projectInputSchema>;

export type ProjectView = {
  id: string;
  key: string;
  name: string;
  description: string | null;
  createdAt: string;
  /** The Jira mapping, when the project has one. */
  mapping: { id: string; jiraInstanceId: string; jiraProjectKey: string; state: string } | null;
};

type ProjectRow = Selectable<TmProjectsTable>;

async function views(db: Kysely<Database>, rows: ProjectRow[]): Promise<ProjectView[]> {
  if (rows.length === 0) return [];
  const mappings = await db
    .selectFrom('sync_mappings')
    .select(['id', 'project_id', 'jira_instance_id', 'jira_project_key', 'state'])
    .where(
      'project_id',
      'in',
      rows.map((r) => r.id),
    )
    .execute();
  const byProject = new Map(mappings.map((m) => [m.project_id, m]));
  return rows.map((r) => {
    const m = byProject.get(r.id);
    return {
      id: r.id,
      key: r.key,
      name: r.name,
      description: r.description,
      createdAt: r.created_at,
      mapping: m
        ? { id: m.id, jiraInstanceId: m.jira_instance_id, jiraProjectKey: m.jira_project_key, state: m.state }
        : null,
    };
  });
}

export async function listProjects(db: Kysely<Database>): Promise<ProjectView[]> {
  return views(db, await db.selectFrom('tm_projects').selectAll().orderBy('key').execute());
}

export async function requireProject(db: Kysely<Database>, idOrKey: string): Promise<ProjectRow> {
  const row =
    (await db.selectFrom('tm_projects').selectAll().where('id', '=', idOrKey).executeTakeFirst()) ??
    (await db.selectFrom('tm_projects').selectAll().where('key', '=', idOrKey).executeTakeFirst());
  if (!row)
    throw notFound(
      `Project "${idOrKey.slice(0, 100)}"`,
      'List the projects (GET /api/projects) and use one of their ids.',
    );
  return row;
}

export async function getProject(db: Kysely<Database>, idOrKey: string): Promise<ProjectView> {
  const [view] = await views(db, [await requireProject(db, idOrKey)]);
  if (!view) throw notFound(`Project "${idOrKey.slice(0, 100)}"`);
  return view;
}

export async function createProject(db: Kysely<Database>, input: ProjectInput): Promise<ProjectView> {
  const clash = await db
    .selectFrom('tm_projects')
    .select('id')
    .where('key', '=', input.key)
    .executeTakeFirst();
  const taken = () =>
    new AppError('project_key_taken', `A project with the key ${input.key} already exists.`, {
      status: 409,
      hint: 'Choose another key, or open the existing project.',
    });
  if (clash) throw taken();
  const now = new Date().toISOString();
  const row: ProjectRow = {
    id: randomUUID(),
    key: input.key,
    name: input.name,
    description: input.description ?? null,
    created_at: now,
    updated_at: now,
  };
  try {
    await db.insertInto('tm_projects').values(row).execute();
  } catch (err) {
    // Two admins creating the same key at once: the unique index decides.
    if (/unique|duplicate/i.test(String((err as Error).message))) throw taken();
    throw err;
  }
  return (await views(db, [row]))[0] as ProjectView;
}
