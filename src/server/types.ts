import type { Hono } from 'hono';
import type { Session } from '../accounts/sessions.js';
import type { User } from '../accounts/users.js';
import type { Config } from '../config/config.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { Vault } from '../store/vault.js';

/** What the HTTP layer is built from; start.ts wires the real ones, tests their own. */
export type AppDeps = {
  config: Config;
  logger: Logger;
  store: Store;
  vault: Vault;
};

export type AppEnv = {
  Variables: {
    requestId: string;
    log: Logger;
    /** Set by the session middleware when the request carries a live session cookie. */
    user?: User;
    session?: Session;
  };
};

export type AppHono = Hono<AppEnv>;

/**
 * A capability's HTTP routes. Each capability exports one and adds it to the list in
 * routes.ts, so app.ts never needs to know them one by one.
 */
export type RouteRegistrar = (app: AppHono, deps: AppDeps) => void;
