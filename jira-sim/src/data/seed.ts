/**
 * Deterministic seed data: the same ctx.seed always yields the same projects, versions and
 * issues (ids, keys, fields, timestamps), so tests can assert on them and benchmarks compare.
 * Issues are built directly (no validation, events or changelog) to seed 100 000 in well under
 * a few seconds.
 */
import type { SimContext } from '../context.js';
import { PRIORITIES } from './catalog.js';
import type { Issue, Project, Store, Version } from './model.js';
import { mulberry32 } from './random.js';

/**
 * One frozen empty array shared by every seeded issue's empty lists: 100 000 issues with
 * eight fresh arrays each kept the garbage collector busier than the seeding itself. The
 * data service always replaces these arrays rather than pushing into them.
 */
const NONE: never[] = Object.freeze([]) as unknown as never[];

/** Seeded issues are spread over the 90 days before this instant (sim clock at reset). */
const SPREAD_MS = 90 * 86_400_000;

const WORDS = [
  'login',
  'checkout',
  'report',
  'export',
  'search',
  'profile',
  'billing',
  'sync',
  'dashboard',
  'upload',
  'invoice',
  'settings',
  'webhook',
  'import',
  'audit',
  'calendar',
];
const VERBS = [
  'fails for',
  'is slow in',
  'add tests for',
  'improve',
  'refactor',
  'document',
  'crash in',
  'validate',
];
const LABELS = ['regression', 'ui', 'backend', 'performance', 'security', 'customer'];

const TYPE_WEIGHTS: [string, number][] = [
  ['10001', 40], // Story
  ['3', 30], // Task
  ['1', 25], // Bug
  ['10000', 5], // Epic
];

export function seedProjects(ctx: SimContext, store: Store): void {
  const lead = ctx.findUser('admin')?.key ?? 'admin';
  const specs = [
    {
      key: 'DEMO',
      name: 'Demo project',
      description: 'Seeded by jira-sim for demos and tests.',
      components: ['Backend', 'Frontend', 'API'],
    },
    { key: 'SIM', name: 'Simulation', description: 'A second seeded project.', components: ['Core'] },
  ];
  const now = ctx.clock.now();
  for (const spec of specs) {
    const id = store.nextId('project');
    const versions: Version[] = [
      ['1.0', true, -60],
      ['1.1', true, -20],
      ['2.0', false, 30],
    ].map(([name, released, days]) => ({
      id: store.nextId('version'),
      projectId: id,
      name: String(name),
      description: `Release ${String(name)}`,
      released: Boolean(released),
      archived: false,
      releaseDate: new Date(now + Number(days) * 86_400_000).toISOString().slice(0, 10),
      startDate: null,
    }));
    const project: Project = {
      id,
      key: spec.key,
      name: spec.name,
      description: spec.description,
      projectTypeKey: 'software',
      leadKey: lead,
      versions,
      components: spec.components.map((name) => ({
        id: store.nextId('component'),
        projectId: id,
        name,
        description: `${name} component`,
      })),
      issueTypeIds: ['10000', '10001', '3', '1', '5'],
      nextNumber: 1,
      issues: new Set(),
    };
    store.addProject(project);
  }
}

/** Adds `count` issues spread over the seeded projects; calling it again continues the sequence. */
export function seedIssues(ctx: SimContext, store: Store, count: number, batch: number): void {
  if (count <= 0) return;
  const projects = [...store.projects.values()].filter((p) => p.key === 'DEMO' || p.key === 'SIM');
  const pool = projects.length > 0 ? projects : [...store.projects.values()];
  if (pool.length === 0) return;
  const random = mulberry32((ctx.seed * 7919 + batch * 104_729) >>> 0);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const totalWeight = TYPE_WEIGHTS.reduce((n, [, w]) => n + w, 0);
  const users = [...ctx.users.values()].filter((u) => ctx.hasPermission(u, 'ASSIGNABLE_USER'));
  const userKeys = users.map((u) => u.key);
  const reporter = ctx.findUser('admin')?.key ?? userKeys[0] ?? null;
  const now = ctx.clock.now();
  // Whole seconds, as Jira's stored timestamps are usually seen; strictly increasing so
  // ordering by created equals ordering by id.
  const start = Math.floor((now - SPREAD_MS) / 1000) * 1000;
  const step = Math.max(1, Math.floor(SPREAD_MS / Math.max(count, 1)));
  for (let i = 0; i < count; i++) {
    const project = pool[i % pool.length]!;
    let roll = random() * totalWeight;
    let typeId = '3';
    for (const [id, w] of TYPE_WEIGHTS) {
      roll -= w;
      if (roll < 0) {
        typeId = id;
        break;
      }
    }
    const created = start + i * step;
    const updated = Math.min(now, created + Math.floor(random() * 5 * 86_400_000));
    const statusRoll = random();
    const statusId = statusRoll < 0.5 ? '10001' : statusRoll < 0.8 ? '3' : '10002';
    const id = store.nextId('issue');
    const keyNumber = project.nextNumber++;
    const version = random() < 0.6 ? pick(project.versions) : undefined;
    const component = random() < 0.5 ? pick(project.components) : undefined;
    const issue: Issue = {
      id,
      num: Number(id),
      key: `${project.key}-${keyNumber}`,
      formerKeys: NONE,
      keyNumber,
      projectId: project.id,
      issueTypeId: typeId,
      summary: `${pick(VERBS)} ${pick(WORDS)} (${project.key} #${keyNumber})`,
      description: typeId === '1' || random() < 0.5 ? `Seeded issue ${keyNumber} of ${project.name}.` : null,
      environment: null,
      duedate: null,
      statusId,
      statusCategoryChanged: updated,
      priorityId: pick(PRIORITIES).id,
      resolutionId: statusId === '10002' ? '10000' : null,
      resolutionDate: statusId === '10002' ? updated : null,
      labels: random() < 0.3 ? [pick(LABELS)] : NONE,
      componentIds: component ? [component.id] : NONE,
      fixVersionIds: version ? [version.id] : NONE,
      versionIds: NONE,
      assigneeKey: random() < 0.7 && userKeys.length > 0 ? pick(userKeys) : null,
      reporterKey: reporter,
      creatorKey: reporter,
      parentId: null,
      created,
      updated,
      comments: NONE,
      attachments: NONE,
      changelog: NONE,
    };
    store.addIssue(issue, true);
  }
  store.reindex();
}
