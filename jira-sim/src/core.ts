import { createHash } from 'node:crypto';
import { createApplicationLinkStore } from './applinks/store.js';
import { createFailedLogins, createSessionStore } from './auth/sessions.js';
import { createClock } from './clock.js';
import type { Flavor, SimContext, SimData, SimUser } from './context.js';
import { createFaults } from './faults/faults.js';
import { createOAuth1Store } from './oauth1/tokens.js';
import { createOAuth2Store } from './oauth2/store.js';
import { createPatStore } from './pat/store.js';
import { defaultUsers, findUser, hasPermission, userJson } from './users.js';

export type CoreOptions = {
  flavor: Flavor;
  baseUrl: string;
  contextPath: string;
  clockOffsetMs: number;
  seed: number;
};

/** Everything the core keeps in memory; `reset()` brings it back to how it started. */
export function createCore(options: CoreOptions) {
  const clock = createClock(options.clockOffsetMs);
  const users = defaultUsers(options.seed);
  const ctx: SimContext = {
    flavor: options.flavor,
    baseUrl: options.baseUrl,
    contextPath: options.contextPath,
    clock,
    users,
    findUser: (idOrName) => findUser(users, idOrName),
    hasPermission,
    webhookFaults: { drop: 0, duplicate: 0, delayMs: 0, reorder: false },
    seed: options.seed,
    userJson: (user: SimUser) => userJson(options.flavor, options.baseUrl, user),
  };
  // Cloud site ids are UUIDs; derive one from the base URL so it is stable across restarts.
  const hex = createHash('sha256').update(`cloudid:${options.baseUrl}`).digest('hex');
  const cloudId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;

  const core = {
    ctx,
    clock,
    cloudId,
    links: createApplicationLinkStore(),
    oauth1: createOAuth1Store(),
    oauth2: createOAuth2Store(),
    pats: createPatStore(),
    sessions: createSessionStore(),
    failedLogins: createFailedLogins(),
    faults: createFaults(ctx.webhookFaults),
    data: undefined as SimData | undefined,
    reset(seedIssues?: number) {
      users.clear();
      for (const [name, user] of defaultUsers(options.seed)) users.set(name, user);
      clock.setOffset(options.clockOffsetMs);
      core.links.clear();
      core.oauth1.clear();
      core.oauth2.clear();
      core.pats.clear();
      core.sessions.clear();
      core.failedLogins.reset();
      core.faults.clear();
      core.data?.reset(seedIssues === undefined ? undefined : { seedIssues });
    },
  };
  return core;
}

export type Core = ReturnType<typeof createCore>;
