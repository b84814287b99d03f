import { AppError } from '../errors.js';

/**
 * Failed sign-ins counted per username and per client address in fixed windows. The
 * username limit stops a slow guess at one account from many addresses; the address limit
 * stops one client trying many accounts. Both are checked before the password is, so a
 * correct guess inside a blocked window is refused too. Kept in memory: a restart clears
 * it, which is acceptable for a limiter whose job is to make guessing slow.
 */
export type SignInLimits = { perUsername: number; perAddress: number; windowMs: number };

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = {
  perUsername: 10,
  perAddress: 30,
  windowMs: 15 * 60 * 1000,
};

type Bucket = { failures: number; resetAt: number };

const MAX_TRACKED = 10_000;

export class SignInLimiter {
  readonly #limits: SignInLimits;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(limits: SignInLimits = DEFAULT_SIGN_IN_LIMITS, now: () => number = Date.now) {
    this.#limits = limits;
    this.#now = now;
  }

  /** Throws a 429 AppError (with retry-after seconds) when either limit is used up. */
  check(username: string, address: string): void {
    const t = this.#now();
    const waits = [
      this.#waitMs(`u:${username}`, this.#limits.perUsername, t),
      this.#waitMs(`a:${address}`, this.#limits.perAddress, t),
    ];
    const wait = Math.max(...waits);
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      const minutes = Math.ceil(seconds / 60);
      throw new RateLimitedError(seconds, minutes);
    }
  }

  recordFailure(username: string, address: string): void {
    const t = this.#now();
    this.#bump(`u:${username}`, t);
    this.#bump(`a:${address}`, t);
  }

  /** A correct password clears that username's failures (not the address's). */
  recordSuccess(username: string): void {
    this.#buckets.delete(`u:${username}`);
  }

  #waitMs(key: string, limit: number, t: number): number {
    const b = this.#buckets.get(key);
    if (!b || b.resetAt <= t || b.failures < limit) return 0;
    return b.resetAt - t;
  }

  #bump(key: string, t: number): void {
    const b = this.#buckets.get(key);
    if (!b || b.resetAt <= t) {
      if (this.#buckets.size >= MAX_TRACKED) this.#prune(t);
      this.#buckets.set(key, { failures: 1, resetAt: t + this.#limits.windowMs });
    } else {
      b.failures += 1;
    }
  }

  #prune(t: number): void {
    for (const [k, b] of this.#buckets) if (b.resetAt <= t) this.#buckets.delete(k);
    // Still full of live entries (a spray from many addresses): forget the oldest half
    // rather than grow without bound.
    if (this.#buckets.size >= MAX_TRACKED) {
      let n = 0;
      for (const k of this.#buckets.keys()) {
        if (n++ >= MAX_TRACKED / 2) break;
        this.#buckets.delete(k);
      }
    }
  }
}

export class RateLimitedError extends AppError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number, minutes: number) {
    super('rate_limited', 'Too many failed sign-in attempts.', {
      status: 429,
      hint: `Wait ${minutes} minute${minutes === 1 ? '' : 's'} and try again. If the password is lost, an admin can set a new one (or run: testbridge users passwd NAME).`,
    });
    this.name = 'RateLimitedError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
