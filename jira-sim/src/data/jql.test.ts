import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JiraError } from './errors.js';
import { compileJql, parseJql, parseJqlDate } from './jql.js';
import { makeTestApp, TEST_EPOCH } from './testing.js';

function jqlError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof JiraError) return e.errorMessages[0] ?? '';
    throw e;
  }
  throw new Error('expected a JiraError');
}

describe('JQL parser', () => {
  it('parses clauses, precedence, lists, functions and ORDER BY', () => {
    const q = parseJql(
      'project = DEMO AND (status in ("To Do", 3) OR assignee = currentUser()) ORDER BY updated DESC, key',
    );
    expect(q.orderBy).toEqual([
      { field: 'updated', direction: 'DESC' },
      { field: 'key', direction: 'ASC' },
    ]);
    expect(q.where).toMatchObject({
      kind: 'and',
      children: [
        { kind: 'clause', field: 'project', op: '=', values: [{ kind: 'text', text: 'DEMO' }] },
        {
          kind: 'or',
          children: [
            {
              kind: 'clause',
              field: 'status',
              op: 'in',
              values: [{ text: 'To Do', quoted: true }, { text: '3' }],
            },
            { kind: 'clause', field: 'assignee', values: [{ kind: 'function', name: 'currentUser' }] },
          ],
        },
      ],
    });
    expect(parseJql('ORDER BY created').where).toBeNull();
    expect(parseJql('').where).toBeNull();
    expect(parseJql('resolution is EMPTY and key not in (A-1)').where).toMatchObject({
      children: [{ op: 'is', values: [{ kind: 'empty' }] }, { op: 'not in' }],
    });
  });

  it('refuses bad syntax with Jira wording and position', () => {
    expect(jqlError(() => parseJql('project DEMO'))).toBe(
      "Error in the JQL Query: Expecting operator but got 'DEMO'. The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'. (line 1, character 9)",
    );
    expect(jqlError(() => parseJql('project = DEMO AND'))).toMatch(
      /^Error in the JQL Query: Expecting a field name but got EOF/,
    );
    expect(jqlError(() => parseJql('project = DEMO extra'))).toMatch(
      /Expecting either 'OR' or 'AND' but got 'extra'/,
    );
    expect(jqlError(() => parseJql('summary ~ 100%'))).toMatch(
      /The character '%' is a reserved JQL character/,
    );
    expect(jqlError(() => parseJql('summary ~ "open'))).toMatch(/Unterminated string/);
    expect(jqlError(() => parseJql('key in (A-1, A-2'))).toMatch(/Expecting '\)' or ','/);
  });

  it('never fails with anything but a JiraError, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        try {
          parseJql(text);
        } catch (e) {
          expect(e).toBeInstanceOf(JiraError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('JQL dates', () => {
  const now = TEST_EPOCH;
  const d = (text: string) => parseJqlDate('updated', { kind: 'text', text, quoted: true }, now);
  it('reads Jira formats and periods', () => {
    expect(d('2026-11-29 04:02')).toBe(Date.UTC(2026, 10, 29, 4, 2));
    expect(d('2026/11/29')).toBe(Date.UTC(2026, 10, 29));
    expect(d('-5m')).toBe(now - 300_000);
    expect(d('-1w 2d')).toBe(now - 9 * 86_400_000);
    expect(d('1764388920000')).toBe(1764388920000);
    expect(jqlError(() => d('yesterday'))).toBe(
      "Date value 'yesterday' for field 'updated' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.",
    );
  });
});

describe('JQL compilation', () => {
  const t = makeTestApp('server', { seedIssues: 50 });
  const { store } = t.data.deps();
  const admin = t.ctx.findUser('admin');
  const run = (jql: string, user = admin) => {
    const compiled = compileJql(parseJql(jql), { ctx: t.ctx, store, user, validation: 'strict' });
    return [...store.issues.values()].filter(compiled.predicate);
  };

  it('filters by project, type, status, key and dates', () => {
    const demo = run('project = DEMO');
    expect(demo.length).toBe(25);
    expect(demo.every((i) => i.key.startsWith('DEMO-'))).toBe(true);
    expect(run('project in (DEMO, SIM)').length).toBe(50);
    expect(run('project != DEMO').every((i) => i.key.startsWith('SIM-'))).toBe(true);
    const bugs = run('issuetype = Bug');
    expect(bugs.length).toBeGreaterThan(0);
    expect(bugs.every((i) => i.issueTypeId === '1')).toBe(true);
    expect(
      run('key in (DEMO-1, SIM-2)')
        .map((i) => i.key)
        .sort(),
    ).toEqual(['DEMO-1', 'SIM-2']);
    expect(run(`id = ${store.findIssue('DEMO-3')!.id}`).map((i) => i.key)).toEqual(['DEMO-3']);
    expect(run('status = "In Progress"').every((i) => i.statusId === '3')).toBe(true);
    const since = Date.UTC(2026, 10, 1);
    expect(run('updated >= "2026-11-01 00:00"').every((i) => i.updated >= since)).toBe(true);
    expect(run('updated >= "2026-11-01 00:00"').length).toBe(
      [...store.issues.values()].filter((i) => i.updated >= since).length,
    );
    const unresolved = [...store.issues.values()].filter((i) => i.resolutionId === null).length;
    expect(unresolved).toBeGreaterThan(0);
    expect(run('resolution is EMPTY').length).toBe(unresolved);
    expect(run('resolution is not EMPTY').length).toBe(50 - unresolved);
    expect(run('resolution = Unresolved').length).toBe(run('resolution is EMPTY').length);
    expect(run('NOT project = DEMO').length).toBe(25);
  });

  it('answers unknown fields and values as Jira does', () => {
    expect(jqlError(() => run('colour = red'))).toBe(
      "Field 'colour' does not exist or you do not have permission to view it.",
    );
    expect(jqlError(() => run('project = NOPE'))).toBe(
      "The value 'NOPE' does not exist for the field 'project'.",
    );
    expect(jqlError(() => run('status = Sleeping'))).toBe(
      "The value 'Sleeping' does not exist for the field 'status'.",
    );
    expect(jqlError(() => run('key = DEMO-9999'))).toBe(
      "An issue with key 'DEMO-9999' does not exist for field 'key'.",
    );
    expect(jqlError(() => run('updated ~ 5'))).toBe(
      "The operator '~' is not supported by the 'updated' field.",
    );
    expect(jqlError(() => run('project = DEMO ORDER BY colour'))).toMatch(/Field 'colour' does not exist/);
    expect(jqlError(() => run('project = DEMO ORDER BY description'))).toBe(
      "Field 'description' does not support sorting.",
    );
  });

  it('hides projects the user cannot browse, even when named', () => {
    const viewer = t.ctx.findUser('viewer')!;
    viewer.projectPermissions.set('SIM', new Set());
    try {
      expect(jqlError(() => run('project = SIM', viewer))).toBe(
        "The value 'SIM' does not exist for the field 'project'.",
      );
      expect(run('project in (DEMO)', viewer).length).toBe(25);
      expect(run('issuetype = Bug', viewer).every((i) => i.key.startsWith('DEMO-'))).toBe(true);
    } finally {
      viewer.projectPermissions.clear();
    }
  });
});
