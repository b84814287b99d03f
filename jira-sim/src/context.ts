/**
 * The contract between jira-sim's parts: the server core (flavours, base URL, clock,
 * users, authentication, application links, OAuth providers, faults) and the data side
 * (projects, versions, issues, search, webhooks). Both import only this file from each
 * other's side, so either can change its insides freely.
 */
import type { Hono } from 'hono';

export type Flavor = 'cloud' | 'server' | 'dc9' | 'dc10';

export const PERMISSIONS = [
  'BROWSE_PROJECTS',
  'CREATE_ISSUES',
  'ASSIGNABLE_USER',
  'ASSIGN_ISSUES',
  'EDIT_ISSUES',
  'DELETE_ISSUES',
  'LINK_ISSUES',
  'MOVE_ISSUES',
  'TRANSITION_ISSUES',
  'ADD_COMMENTS',
  'CREATE_ATTACHMENTS',
  'ADMINISTER_PROJECTS',
  'ADMINISTER',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export type SimUser = {
  /** Server/DC username; also the login for Basic auth on Server/DC. */
  name: string;
  key: string;
  /** Cloud identity. */
  accountId: string;
  displayName: string;
  emailAddress: string;
  password: string;
  /** Cloud API token for Basic auth (email + token). */
  apiToken: string;
  active: boolean;
  /** Permissions everywhere (global, and in every project unless overridden). */
  permissions: Set<Permission>;
  /** Per-project override: when a project key is present, its set replaces `permissions` there. */
  projectPermissions: Map<string, Set<Permission>>;
};

/** How a request was authenticated; `oauth2` carries the granted scopes. */
export type AuthKind = 'basic' | 'session' | 'pat' | 'oauth1' | 'oauth2' | 'anonymous';

export type SimClock = {
  /** Milliseconds since the epoch as this Jira sees it (real time plus the configured offset). */
  now(): number;
  /** Moves the simulated time forward (tests of expiry, e.g. 30-day dynamic webhooks). */
  advance(ms: number): void;
  /** Sets the skew against real time (reproduces a Jira whose clock is off). */
  setOffset(ms: number): void;
};

export type WebhookDeliveryFaults = {
  /** Probability 0..1 that a delivery is silently dropped. */
  drop: number;
  /** Probability 0..1 that a delivery is sent twice (same X-Atlassian-Webhook-Identifier). */
  duplicate: number;
  /** Added delay before each delivery, in ms. */
  delayMs: number;
  /** When true, queued deliveries are sent in a shuffled order. */
  reorder: boolean;
};

export type SimContext = {
  flavor: Flavor;
  /** What Jira believes its address is (may differ from where it listens: reverse proxy). */
  baseUrl: string;
  /** '' or a path such as '/jira'. */
  contextPath: string;
  clock: SimClock;
  users: Map<string, SimUser>;
  /** Looks a user up by name, key, accountId or email. */
  findUser(idOrName: string): SimUser | undefined;
  hasPermission(user: SimUser, permission: Permission, projectKey?: string): boolean;
  webhookFaults: WebhookDeliveryFaults;
  /** Seed used by deterministic data generation. */
  seed: number;
  /**
   * Waits between webhook delivery retries, in ms (one entry per retry). Optional: the data
   * side defaults to a short schedule; tests of retry behaviour shorten it further.
   */
  webhookRetryDelaysMs?: number[];
  /**
   * Jira's user object for this flavour (Cloud: accountId and no name/key; Server/DC: name
   * and key), as `myself`, assignee, reporter, comment authors and webhook `user` carry it.
   */
  userJson(user: SimUser): Record<string, unknown>;
};

/** Hono variables set by the core's auth middleware before data routes run. */
export type SimEnv = {
  Variables: {
    user: SimUser | undefined;
    authKind: AuthKind;
    /** OAuth 2.0 scopes of the token, when authKind is oauth2. */
    scopes: string[];
  };
};

/** What the data side gives the core: its routes, and a way to start from a clean slate. */
export type SimData = {
  /** Registers /rest/api/2|3/... data routes and the webhook registries on the app (already under the context path). */
  register(app: Hono<SimEnv>): void;
  /** Drops all data and re-creates the deterministic seed data. */
  reset(options?: { seedIssues?: number }): void;
  /** Creates `count` more issues deterministically (admin call and --seed-issues). */
  seedIssues(count: number): void;
  /** Stops timers (webhook dispatch) so the process can exit. */
  close(): Promise<void>;
  /**
   * Resolves a project key or id for the core's `mypermissions` (404 for unknown projects,
   * projectId to key). Optional: without it the core takes any project key as given.
   */
  findProject?(keyOrId: string): { id: string; key: string } | undefined;
};

export type CreateSimData = (ctx: SimContext) => SimData;
