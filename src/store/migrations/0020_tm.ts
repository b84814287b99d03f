import { type Kysely, sql } from 'kysely';

// The lean test-management core. Requirements and defects share one table (tm_issues)
// because a Jira issue can be retyped between the two: keeping one row (identity = the Jira
// issue id) keeps its test-case links when that happens.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('tm_projects')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('key', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('tm_releases')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('tm_projects.id').onDelete('cascade'))
    .addColumn('jira_version_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('released', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('archived', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('release_date', 'text')
    .addColumn('start_date', 'text')
    .addColumn('sequence', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('deleted_at', 'text')
    .addColumn('merged_to_release_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('tm_releases_project_version', ['project_id', 'jira_version_id'])
    .execute();

  await db.schema
    .createTable('tm_issues')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('tm_projects.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('requirement', 'defect')`))
    .addColumn('jira_instance_id', 'text', (c) => c.notNull())
    .addColumn('jira_issue_id', 'text', (c) => c.notNull())
    .addColumn('jira_key', 'text', (c) => c.notNull())
    .addColumn('jira_project_id', 'text', (c) => c.notNull())
    .addColumn('issue_type', 'text', (c) => c.notNull())
    .addColumn('issue_type_id', 'text')
    .addColumn('summary', 'text')
    .addColumn('description', 'text')
    .addColumn('status', 'text')
    .addColumn('status_category', 'text')
    .addColumn('priority', 'text')
    .addColumn('labels', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('components', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('fix_version_ids', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('assignee_id', 'text')
    .addColumn('assignee_name', 'text')
    .addColumn('parent_jira_id', 'text')
    .addColumn('parent_key', 'text')
    .addColumn('jira_updated', 'text', (c) => c.notNull())
    .addColumn('removed_reason', 'text')
    .addColumn('removed_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('tm_issues_jira_identity', ['jira_instance_id', 'jira_issue_id'])
    .execute();
  await db.schema
    .createIndex('tm_issues_project_kind')
    .on('tm_issues')
    .columns(['project_id', 'kind', 'removed_at'])
    .execute();
  await db.schema.createIndex('tm_issues_parent').on('tm_issues').column('parent_jira_id').execute();

  await db.schema
    .createTable('tm_test_cases')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('tm_projects.id').onDelete('cascade'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('steps', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('tm_test_cases_project').on('tm_test_cases').column('project_id').execute();

  await db.schema
    .createTable('tm_test_case_requirements')
    .addColumn('test_case_id', 'text', (c) => c.notNull().references('tm_test_cases.id').onDelete('cascade'))
    .addColumn('requirement_id', 'text', (c) => c.notNull().references('tm_issues.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('tm_test_case_requirements_pk', ['test_case_id', 'requirement_id'])
    .execute();
  await db.schema
    .createIndex('tm_test_case_requirements_req')
    .on('tm_test_case_requirements')
    .column('requirement_id')
    .execute();

  await db.schema
    .createTable('tm_executions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('test_case_id', 'text', (c) => c.notNull().references('tm_test_cases.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('passed', 'failed', 'blocked')`))
    .addColumn('notes', 'text')
    .addColumn('executed_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('tm_executions_case_at')
    .on('tm_executions')
    .columns(['test_case_id', 'executed_at'])
    .execute();
}
