/**
 * jira-sim's data side: an in-memory Jira (projects, versions, issues, comments,
 * attachments, links), JQL search, webhook registries and dispatch, and deterministic seed
 * data. The core mounts `register(app)` after its auth middleware, so routes read the
 * caller from the `user`/`authKind` variables and answer with Jira's shapes and errors.
 */
import { Hono } from 'hono';
import type { CreateSimData, SimContext, SimData, SimEnv } from '../context.js';
import { JiraError } from './errors.js';
import { Store } from './model.js';
import { Renderer } from './render.js';
import type { RouteDeps } from './routes/common.js';
import { registerIssueRoutes } from './routes/issues.js';
import { registerProjectRoutes } from './routes/projects.js';
import { registerSearchRoutes } from './routes/search.js';
import { registerSimRoutes } from './routes/sim.js';
import { registerVersionRoutes } from './routes/versions.js';
import { registerWebhookRoutes } from './routes/webhooks.js';
import { SearchEngine } from './search.js';
import { seedIssues, seedProjects } from './seed.js';
import { DataService } from './service.js';
import { WebhookHub } from './webhooks/hub.js';

/** The data side with its insides reachable, for tests in this folder. */
export type SimDataInternals = SimData & { deps: () => RouteDeps; idle(): Promise<void> };

export function createSimDataInternals(ctx: SimContext): SimDataInternals {
  let deps = build(ctx);
  let batches = 0;
  seedProjects(ctx, deps.store);

  const sub = new Hono<SimEnv>();
  // Routes reach the current state through `deps`, so reset() can swap it without re-registering.
  const proxy: RouteDeps = {
    ctx,
    get store() {
      return deps.store;
    },
    get render() {
      return deps.render;
    },
    get service() {
      return deps.service;
    },
    get search() {
      return deps.search;
    },
    get hooks() {
      return deps.hooks;
    },
  };
  registerProjectRoutes(sub, proxy);
  registerVersionRoutes(sub, proxy);
  registerIssueRoutes(sub, proxy);
  registerSearchRoutes(sub, proxy);
  registerWebhookRoutes(sub, proxy);
  registerSimRoutes(sub, proxy);
  sub.onError((error, c) => {
    if (error instanceof JiraError) return c.json(error.toBody(), error.status as 400);
    // Anything else is a simulator bug: answer in Jira's shape and say so on stderr.
    process.stderr.write(
      `jira-sim data: ${c.req.method} ${c.req.path} failed: ${error.stack ?? error.message}\n`,
    );
    return c.json({ errorMessages: ['Internal server error in jira-sim (data side).'], errors: {} }, 500);
  });

  return {
    register(app) {
      app.route('/', sub);
    },
    reset(options) {
      const old = deps;
      deps = build(ctx);
      // Keep registered webhooks' dispatcher timers from firing into the new state.
      void old.hooks.dispatcher.close();
      batches = 0;
      seedProjects(ctx, deps.store);
      if (options?.seedIssues) seedIssues(ctx, deps.store, options.seedIssues, batches++);
    },
    seedIssues(count) {
      seedIssues(ctx, deps.store, count, batches++);
    },
    findProject(keyOrId) {
      const p = deps.store.findProject(keyOrId);
      return p ? { id: p.id, key: p.key } : undefined;
    },
    async close() {
      await deps.hooks.dispatcher.close();
    },
    deps: () => proxy,
    idle: () => deps.hooks.dispatcher.idle(),
  };
}

function build(ctx: SimContext): RouteDeps {
  const store = new Store();
  const render = new Renderer(ctx, store);
  const search = new SearchEngine(ctx, store);
  const hooks = new WebhookHub(ctx, render, search);
  const service = new DataService(ctx, store, render, hooks);
  return { ctx, store, render, service, search, hooks };
}

export const createSimData: CreateSimData = (ctx) => createSimDataInternals(ctx);
