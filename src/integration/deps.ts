import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';

/**
 * The store's secret vault as connections use it: authenticated encryption where `context`
 * is bound as associated data, so a sealed value copied into another row or column fails to
 * open instead of decrypting into the wrong place. Sync or async implementations both fit.
 */
export interface SecretVault {
  seal(plaintext: string, context: string): string | Promise<string>;
  open(sealed: string, context: string): string | Promise<string>;
}

/** What connection services need; the server and the CLI build it from the same config. */
export type ConnectionDeps = {
  store: Pick<Store, 'db' | 'dialect'>;
  vault: SecretVault;
  logger: Logger;
  config: { publicUrl: string };
  /** Injectable for tests (clock skew, expiry); defaults to Date.now. */
  now?: () => number;
};

export const nowOf = (deps: Pick<ConnectionDeps, 'now'>): number => (deps.now ?? Date.now)();
export const isoNow = (deps: Pick<ConnectionDeps, 'now'>): string => new Date(nowOf(deps)).toISOString();
