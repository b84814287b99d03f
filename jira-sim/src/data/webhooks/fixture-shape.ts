/**
 * Compares a webhook body we sent with a captured Jira delivery of the same event, by
 * structure: every key the fixture has (customfield_* aside, being site-specific) must exist
 * in ours with the same JSON type, recursively. A key may be null on either side only where
 * some captured delivery has it null (assignee, resolution, ...). Identity keys follow the
 * flavour: Cloud has no user name/key since 2019 (GDPR); Server has none of Cloud's account
 * keys (accountId, accountType, tmpFrom/tmpToAccountId). A link shows the other issue as
 * inwardIssue or outwardIssue depending on direction, so either stands for the other.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Flavor } from '../../context.js';

export const FIXTURE_DIR = '/work/shared/fixtures/jira-webhooks';

type Value = unknown;
export type Fixture = { file: string; body: Record<string, Value> };

export function loadFixtures(dir = FIXTURE_DIR): Fixture[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({
      file,
      body: JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, Value>,
    }));
}

const typeOf = (v: Value) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Paths (arrays as `[]`) that are null somewhere in the captured deliveries. */
export function nullablePaths(fixtures: Fixture[]): Set<string> {
  const out = new Set<string>();
  const walk = (v: Value, path: string) => {
    if (v === null) out.add(path);
    else if (Array.isArray(v)) for (const item of v) walk(item, `${path}.[]`);
    else if (typeof v === 'object')
      for (const [k, x] of Object.entries(v as object)) walk(x, path ? `${path}.${k}` : k);
  };
  for (const f of fixtures) walk(f.body, '');
  return out;
}

const USER_KEYS = new Set([
  'user',
  'author',
  'updateAuthor',
  'assignee',
  'reporter',
  'creator',
  'projectLead',
]);

export function compareShape(fixture: Value, ours: Value, flavor: Flavor, nullable: Set<string>): string[] {
  const problems: string[] = [];
  const exempt = flavor === 'cloud' ? new Set(['name', 'key']) : new Set(['accountId', 'accountType']);
  const exemptAnywhere =
    flavor === 'cloud' ? new Set<string>() : new Set(['tmpFromAccountId', 'tmpToAccountId']);
  const counterpart: Record<string, string> = { inwardIssue: 'outwardIssue', outwardIssue: 'inwardIssue' };
  const walk = (f: Value, o: Value, path: string, parentKey: string) => {
    const ft = typeOf(f);
    const ot = typeOf(o);
    if (ft === 'null' || ot === 'null') {
      if (ft !== ot && !nullable.has(path)) problems.push(`${path}: fixture ${ft}, ours ${ot}`);
      return;
    }
    if (ft !== ot) {
      problems.push(`${path}: fixture ${ft}, ours ${ot}`);
      return;
    }
    if (ft === 'array') {
      const fa = f as Value[];
      const oa = o as Value[];
      if (path.endsWith('changelog.items')) {
        // Items are keyed by the field they describe.
        for (const item of fa) {
          const fieldId = (item as { fieldId?: string }).fieldId;
          const mine = oa.find((x) => (x as { fieldId?: string }).fieldId === fieldId);
          if (mine) walk(item, mine, `${path}.[]`, '[]');
        }
        return;
      }
      if (fa.length > 0 && oa.length > 0) walk(fa[0], oa[0], `${path}.[]`, parentKey);
      return;
    }
    if (ft === 'object') {
      const fo = f as Record<string, Value>;
      const oo = o as Record<string, Value>;
      const isUser = USER_KEYS.has(parentKey);
      for (const key of Object.keys(fo)) {
        if (key.startsWith('customfield_')) continue;
        if ((isUser && exempt.has(key)) || exemptAnywhere.has(key)) continue;
        const child = path ? `${path}.${key}` : key;
        const other = counterpart[key];
        const mine = key in oo ? key : other !== undefined && other in oo ? other : undefined;
        if (mine === undefined) {
          problems.push(`${child}: missing`);
          continue;
        }
        walk(fo[key], oo[mine], child, key);
      }
    }
  };
  walk(fixture, ours, '', '');
  return problems;
}
