import { OAuth2Error } from './errors.js';
import type { TokenSet } from './flow.js';

export type TokenManagerOptions = {
  initial: TokenSet;
  /** Performs the refresh grant (refreshTokens with the connection's provider and client). */
  refresh: (refreshToken: string) => Promise<TokenSet>;
  /**
   * Stores the new tokens (sealed in the vault). Awaited before the new access token is
   * used: with rotating refresh tokens the old one is dead once refreshed, so losing the
   * new one means re-authorizing.
   */
  persist: (tokens: TokenSet) => Promise<void>;
  /** Refresh this long before expiry, so a token does not die mid-request. */
  refreshSkewMs?: number;
  now?: () => number;
};

/**
 * Holds one connection's OAuth 2.0 tokens. Refreshes are single-flight: concurrent callers
 * (say, several sync workers hitting 401 at once) share one refresh, because a second
 * refresh with the same rotating refresh token would fail and lose the connection.
 */
export class OAuth2TokenManager {
  private current: TokenSet;
  /** Refreshed but not yet persisted: the old refresh token is already spent. */
  private unpersisted: TokenSet | undefined;
  private inflight: Promise<TokenSet> | undefined;
  private readonly options: TokenManagerOptions;
  private readonly skew: number;
  private readonly now: () => number;

  constructor(options: TokenManagerOptions) {
    this.options = options;
    this.current = options.initial;
    this.skew = options.refreshSkewMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** A usable access token, refreshed first if it is about to expire. */
  async accessToken(): Promise<string> {
    if (this.unpersisted || this.expiringSoon()) return (await this.refresh()).accessToken;
    return this.current.accessToken;
  }

  /**
   * Jira rejected `rejected`. If another caller already replaced it, just use the new one;
   * otherwise refresh (shared). False when there is no way to get a different token.
   */
  async refreshAfterRejection(rejected: string): Promise<boolean> {
    if (this.current.accessToken !== rejected && !this.unpersisted) return true;
    if (!this.current.refreshToken && !this.unpersisted) return false;
    await this.refresh();
    return true;
  }

  /** Forces a refresh (shared with any refresh already running). */
  refresh(): Promise<TokenSet> {
    if (!this.inflight) {
      this.inflight = this.runRefresh().finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight;
  }

  /** Current tokens (for diagnostics: expiry, scope). */
  tokens(): Readonly<TokenSet> {
    return this.current;
  }

  private expiringSoon(): boolean {
    const at = this.current.expiresAt;
    return at !== undefined && at - this.skew <= this.now();
  }

  private async runRefresh(): Promise<TokenSet> {
    let next = this.unpersisted;
    if (!next) {
      const refreshToken = this.current.refreshToken;
      if (!refreshToken) {
        throw new OAuth2Error(
          'oauth2_reauthorization_required',
          'The access token expired and there is no refresh token.',
          {
            hint: 'Authorize the connection again; on Atlassian Cloud include the offline_access scope.',
          },
        );
      }
      const fresh = await this.options.refresh(refreshToken);
      // A server that does not rotate sends no new refresh token: keep using the old one.
      next = { ...fresh, refreshToken: fresh.refreshToken ?? refreshToken };
      this.unpersisted = next;
    }
    try {
      await this.options.persist(next);
    } catch (cause) {
      throw new OAuth2Error('oauth2_persist_failed', 'The refreshed OAuth 2.0 tokens could not be saved.', {
        hint: 'Check the database; Testbridge retries saving them before using them.',
        status: 503,
        cause,
      });
    }
    this.unpersisted = undefined;
    this.current = next;
    return next;
  }
}
