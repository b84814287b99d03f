import { describe, expect, it } from 'vitest';
import { insertTestMapping } from '../integration/mappings-testing.js';
import { describeEachDialect } from '../store/testing.js';
import {
  applyIssue,
  applyIssueBatch,
  applyIssueDeleted,
  applyParsedIssue,
  applyProjectDeleted,
  applyProjectUpdated,
  applyProjectVersions,
  applyVersion,
  applyVersionDeleted,
  normalizeJiraTime,
  parseIssue,
} from './apply.js';

let counter = 20000;
function issue(
  projectId: string,
  over: {
    id?: string;
    key?: string;
    type?: string;
    updated?: string;
    summary?: string;
    fixVersions?: string[];
    parent?: { id: string; key: string };
  } = {},
) {
  const id = over.id ?? String(counter++);
  return {
    id,
    key: over.key ?? `PROJ-${id}`,
    fields: {
      project: { id: projectId, key: 'PROJ' },
      issuetype: { id: '10001', name: over.type ?? 'Story' },
      updated: over.updated ?? '2026-11-29T04:00:00.000+0000',
      summary: over.summary ?? 'A story',
      description: {
        type: 'doc',
        version: 1,
        content: [
          { type: 'paragraph', content: [{ type: 'text', text: 'line 1' }] },
          { type: 'paragraph', content: [] },
        ],
      },
      status: { name: 'To Do', statusCategory: { key: 'new' } },
      priority: { name: 'High' },
      labels: ['a', 'b'],
      components: [{ id: '1', name: 'UI' }],
      fixVersions: (over.fixVersions ?? []).map((v) => ({ id: v, name: `v${v}` })),
      assignee: { accountId: 'acc-1', displayName: 'Ann' },
      ...(over.parent ? { parent: over.parent } : { parent: null }),
    },
  };
}

describe('normalizeJiraTime', () => {
  it('reads Jira offsets without a colon and keeps milliseconds', () => {
    expect(normalizeJiraTime('2026-11-29T06:02:17.123+0200')).toBe('2026-11-29T04:02:17.123Z');
    expect(normalizeJiraTime('not a date')).toBeUndefined();
    expect(normalizeJiraTime(0)).toBe('1970-01-01T00:00:00.000Z');
  });
  it('parseIssue refuses payloads without what the identity and ordering need', () => {
    expect(parseIssue({ id: '1', key: 'A-1', fields: { summary: 'x' } })).toBeUndefined();
    expect(parseIssue(null)).toBeUndefined();
  });
});

describeEachDialect('sync apply', (getStore) => {
  it('creates, ignores duplicates, refuses older states and applies newer ones', async () => {
    const { db } = getStore();
    const m = await insertTestMapping(db);
    const first = issue(m.jiraProjectId, { id: '101', updated: '2026-11-29T04:00:00.000+0000' });
    expect(await applyIssue(db, m, first)).toBe('created');
    expect(await applyIssue(db, m, first)).toBe('unchanged');
    const newer = issue(m.jiraProjectId, {
      id: '101',
      updated: '2026-11-29T04:05:00.000+0000',
      summary: 'new',
    });
    expect(await applyIssue(db, m, newer)).toBe('updated');
    const older = issue(m.jiraProjectId, {
      id: '101',
      updated: '2026-11-29T04:01:00.000+0000',
      summary: 'old',
    });
    expect(await applyIssue(db, m, older)).toBe('stale');
    const row = await db
      .selectFrom('tm_issues')
      .selectAll()
      .where('jira_issue_id', '=', '101')
      .executeTakeFirstOrThrow();
    expect(row.summary).toBe('new');
    expect(row.description).toBe('line 1\n');
    expect(row.kind).toBe('requirement');
    expect(JSON.parse(row.labels)).toEqual(['a', 'b']);
    expect(JSON.parse(row.components)).toEqual(['UI']);
    expect(row.assignee_id).toBe('acc-1');
    expect(await applyIssue(db, m, { id: '101', key: 'X', fields: { summary: 'no updated' } })).toBe(
      'incomplete',
    );
  });

  it('follows retypes between requirement, defect and unsynced types by id', async () => {
    const { db } = getStore();
    const m = await insertTestMapping(db);
    const p = m.jiraProjectId;
    expect(
      await applyIssue(
        db,
        m,
        issue(p, { id: '201', type: 'Story', updated: '2026-11-29T04:00:00.000+0000' }),
      ),
    ).toBe('created');
    expect(
      await applyIssue(db, m, issue(p, { id: '201', type: 'Bug', updated: '2026-11-29T04:01:00.000+0000' })),
    ).toBe('updated');
    let row = await db
      .selectFrom('tm_issues')
      .selectAll()
      .where('jira_issue_id', '=', '201')
      .executeTakeFirstOrThrow();
    expect(row.kind).toBe('defect');
    expect(
      await applyIssue(db, m, issue(p, { id: '201', type: 'Task', updated: '2026-11-29T04:02:00.000+0000' })),
    ).toBe('removed');
    row = await db
      .selectFrom('tm_issues')
      .selectAll()
      .where('jira_issue_id', '=', '201')
      .executeTakeFirstOrThrow();
    expect(row.removed_reason).toBe('retyped');
    expect(
      await applyIssue(db, m, issue(p, { id: '201', type: 'Epic', updated: '2026-11-29T04:03:00.000+0000' })),
    ).toBe('updated');
    row = await db
      .selectFrom('tm_issues')
      .selectAll()
      .where('jira_issue_id', '=', '201')
      .executeTakeFirstOrThrow();
    expect(row.removed_reason).toBeNull();
    expect(row.kind).toBe('requirement');
    expect(await applyIssue(db, m, issue(p, { id: '202', type: 'Task' }))).toBe('ignored');
  });

  it('handles moves: out of the project, into another mapped project, and keys of children', async () => {
    const { db } = getStore();
    const a = await insertTestMapping(db, { jiraInstanceId: 'inst-move' });
    const b = await insertTestMapping(db, { jiraInstanceId: 'inst-move' });
    expect(
      await applyIssue(
        db,
        a,
        issue(a.jiraProjectId, { id: '301', key: 'A-1', updated: '2026-11-29T04:00:00.000+0000' }),
      ),
    ).toBe('created');
    const child = issue(a.jiraProjectId, { id: '302', key: 'A-2', parent: { id: '301', key: 'A-1' } });
    expect(await applyIssue(db, a, child)).toBe('created');
    const moved = issue(b.jiraProjectId, { id: '301', key: 'B-7', updated: '2026-11-29T04:10:00.000+0000' });
    // The old project's mapping sees it leave; the new one takes the same row over.
    expect(await applyIssue(db, a, moved)).toBe('moved-out');
    expect(await applyIssue(db, b, moved)).toBe('updated');
    const rows = await db
      .selectFrom('tm_issues')
      .selectAll()
      .where('jira_issue_id', 'in', ['301', '302'])
      .orderBy('jira_issue_id')
      .execute();
    expect(rows[0]?.project_id).toBe(b.projectId);
    expect(rows[0]?.removed_reason).toBeNull();
    expect(rows[0]?.jira_key).toBe('B-7');
    expect(rows[1]?.parent_key).toBe('B-7');
    // A late delivery for the old project does not pull it back.
    expect(
      await applyIssue(
        db,
        a,
        issue(a.jiraProjectId, { id: '301', key: 'A-1', updated: '2026-11-29T04:05:00.000+0000' }),
      ),
    ).toBe('stale');
  });

  it('deletions are final against equal or older states', async () => {
    const { db } = getStore();
    const m = await insertTestMapping(db);
    const x = issue(m.jiraProjectId, { id: '401', updated: '2026-11-29T04:00:00.000+0000' });
    await applyIssue(db, m, x);
    expect(await applyIssueDeleted(db, m, '401')).toBe('deleted');
    expect(await applyIssueDeleted(db, m, '401')).toBe('unchanged');
    expect(await applyIssue(db, m, x)).toBe('stale');
    // An import page read before the deletion does not bring it back either.
    const parsed = parseIssue(x);
    if (!parsed) throw new Error('unparsable');
    expect(await applyParsedIssue(db, m, parsed, { revive: true })).toBe('stale');
    expect(await applyIssueDeleted(db, m, '999999')).toBe('ignored');
  });

  it('versions: create, update, order, delete and merge with fix versions following', async () => {
    const { db } = getStore();
    const m = await insertTestMapping(db);
    const p = m.jiraProjectId;
    const v = (id: string, extra: Record<string, unknown> = {}) => ({
      id,
      name: `v${id}`,
      projectId: Number.isNaN(Number(p)) ? p : Number(p),
      released: false,
      archived: false,
      ...extra,
    });
    expect(await applyVersion(db, m, v('1'))).toBe('created');
    expect(await applyVersion(db, m, v('2'))).toBe('created');
    expect(await applyVersion(db, m, v('1'))).toBe('unchanged');
    expect(await applyVersion(db, m, v('1', { released: true, releaseDate: '2026-11-30' }))).toBe('updated');
    expect(await applyVersion(db, m, { ...v('9'), projectId: 'other' })).toBe('ignored');
    await applyIssue(db, m, issue(p, { id: '501', fixVersions: ['1'] }));
    const merged = await applyVersionDeleted(db, m, '1', '2');
    expect(merged.outcome).toBe('deleted');
    expect(merged.affectedIssueIds).toEqual(['501']);
    const row = await db
      .selectFrom('tm_issues')
      .selectAll()
      .where('jira_issue_id', '=', '501')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(row.fix_version_ids)).toEqual(['2']);
    const rel = await db
      .selectFrom('tm_releases')
      .selectAll()
      .where('project_id', '=', m.projectId)
      .orderBy('jira_version_id')
      .execute();
    expect(rel[0]?.deleted_at).not.toBeNull();
    expect(rel[0]?.merged_to_release_id).toBe(rel[1]?.id);
    // Jira's list is the truth for order and existence.
    const r = await applyProjectVersions(db, m, [v('3'), v('2')]);
    expect(r).toMatchObject({ created: 1, deleted: 0 });
    const ordered = await db
      .selectFrom('tm_releases')
      .select(['jira_version_id', 'sequence'])
      .where('project_id', '=', m.projectId)
      .where('deleted_at', 'is', null)
      .orderBy('sequence')
      .execute();
    expect(ordered.map((o) => o.jira_version_id)).toEqual(['3', '2']);
    const r2 = await applyProjectVersions(db, m, [v('3')]);
    expect(r2.deleted).toBe(1);
    expect(r2.affectedIssueIds).toEqual(['501']);
  });

  it('project updated follows the key; deleted suspends with an alert', async () => {
    const { db } = getStore();
    const m = await insertTestMapping(db, { jiraProjectKey: 'OLD' });
    expect(await applyProjectUpdated(db, m, { id: m.jiraProjectId, key: 'NEW', name: 'Renamed' })).toBe(
      'updated',
    );
    expect(await applyProjectUpdated(db, m, { id: 'someone-else', key: 'X' })).toBe('ignored');
    let row = await db
      .selectFrom('sync_mappings')
      .selectAll()
      .where('id', '=', m.id)
      .executeTakeFirstOrThrow();
    expect(row.jira_project_key).toBe('NEW');
    expect(row.alert).toContain('OLD to NEW');
    expect(await applyProjectDeleted(db, m, { id: m.jiraProjectId })).toBe('suspended');
    row = await db.selectFrom('sync_mappings').selectAll().where('id', '=', m.id).executeTakeFirstOrThrow();
    expect(row.state).toBe('suspended');
    expect(row.alert).toContain('deleted');
  });

  it('version modes: unarchived hides archived versions, none keeps no releases', async () => {
    const { db } = getStore();
    const unarchived = await insertTestMapping(db, { versionMode: 'unarchived' });
    const v = { id: '71', name: 'old', projectId: unarchived.jiraProjectId, archived: false };
    expect(await applyVersion(db, unarchived, v)).toBe('created');
    expect(await applyVersion(db, unarchived, { ...v, archived: true })).toBe('updated');
    const hidden = await db
      .selectFrom('tm_releases')
      .selectAll()
      .where('project_id', '=', unarchived.projectId)
      .executeTakeFirstOrThrow();
    expect(hidden.deleted_at).not.toBeNull();
    expect(await applyVersion(db, unarchived, v)).toBe('updated');
    const none = await insertTestMapping(db, { versionMode: 'none' });
    expect(await applyVersion(db, none, { ...v, projectId: none.jiraProjectId })).toBe('ignored');
  });

  it('stores only the synced fields', async () => {
    const { db } = getStore();
    const m = await insertTestMapping(db, { syncedFields: ['summary', 'status'] });
    expect(await applyIssue(db, m, issue(m.jiraProjectId, { id: '801' }))).toBe('created');
    const row = await db
      .selectFrom('tm_issues')
      .selectAll()
      .where('jira_issue_id', '=', '801')
      .executeTakeFirstOrThrow();
    expect(row.summary).toBe('A story');
    expect(row.status).toBe('To Do');
    expect(row.description).toBeNull();
    expect(row.priority).toBeNull();
    expect(row.labels).toBe('[]');
    expect(row.assignee_id).toBeNull();
  });

  it('applies a page in one batch with the same outcomes as one by one', async () => {
    const { db } = getStore();
    const m = await insertTestMapping(db);
    const p = m.jiraProjectId;
    await applyIssue(db, m, issue(p, { id: '901', updated: '2026-11-29T04:00:00.000+0000' }));
    const outcomes = await applyIssueBatch(db, m, [
      issue(p, { id: '901', updated: '2026-11-29T04:00:00.000+0000' }),
      issue(p, { id: '902' }),
      issue(p, { id: '903', type: 'Bug' }),
      issue(p, { id: '904', type: 'Task' }),
      issue('elsewhere', { id: '905' }),
      { id: '906', key: 'X-1', fields: {} },
      issue(p, { id: '902', summary: 'same id twice in a page', updated: '2026-11-29T05:00:00.000+0000' }),
    ]);
    expect(outcomes).toEqual([
      'unchanged',
      'created',
      'created',
      'ignored',
      'ignored',
      'incomplete',
      'updated',
    ]);
    const rows = await db
      .selectFrom('tm_issues')
      .selectAll()
      .where('project_id', '=', m.projectId)
      .orderBy('jira_issue_id')
      .execute();
    expect(rows.map((r) => [r.jira_issue_id, r.kind, r.summary])).toEqual([
      ['901', 'requirement', 'A story'],
      ['902', 'requirement', 'same id twice in a page'],
      ['903', 'defect', 'A story'],
    ]);
  });
});
