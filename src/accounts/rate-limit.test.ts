import { describe, expect, it } from 'vitest';
import { RateLimitedError, SignInLimiter } from './rate-limit.js';

describe('SignInLimiter', () => {
  const limits = { perUsername: 3, perAddress: 5, windowMs: 60_000 };

  it('blocks a username after its failures until the window ends', () => {
    let now = 1_000_000;
    const l = new SignInLimiter(limits, () => now);
    for (let i = 0; i < 3; i++) {
      l.check('ann', `10.0.0.${i}`);
      l.recordFailure('ann', `10.0.0.${i}`);
    }
    let err: unknown;
    try {
      l.check('ann', '10.0.0.9');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).status).toBe(429);
    expect((err as RateLimitedError).retryAfterSeconds).toBe(60);
    expect((err as RateLimitedError).hint).toMatch(/Wait 1 minute /);
    now += 30_000;
    expect(() => l.check('ann', '10.0.0.9')).toThrow(RateLimitedError);
    now += 30_000;
    expect(() => l.check('ann', '10.0.0.9')).not.toThrow();
  });

  it('blocks an address that tries many usernames, not other addresses', () => {
    const l = new SignInLimiter(limits, () => 0);
    for (let i = 0; i < 5; i++) l.recordFailure(`user${i}`, '10.1.1.1');
    expect(() => l.check('someone-else', '10.1.1.1')).toThrow(RateLimitedError);
    expect(() => l.check('someone-else', '10.1.1.2')).not.toThrow();
  });

  it('forgets a username’s failures after a success', () => {
    const l = new SignInLimiter(limits, () => 0);
    l.recordFailure('bob', '10.2.0.1');
    l.recordFailure('bob', '10.2.0.2');
    l.recordSuccess('bob');
    l.recordFailure('bob', '10.2.0.3');
    l.recordFailure('bob', '10.2.0.4');
    expect(() => l.check('bob', '10.2.0.5')).not.toThrow();
  });

  it('stays bounded in memory under a spray from many addresses', () => {
    const l = new SignInLimiter(limits, () => 0);
    for (let i = 0; i < 5; i++) l.recordFailure(`first${i}`, 'a0');
    expect(() => l.check('x', 'a0')).toThrow(RateLimitedError);
    for (let i = 0; i < 30_000; i++) l.recordFailure(`u${i}`, `a${i + 1}`);
    // The trade-off for bounded memory: the oldest entries were forgotten.
    expect(() => l.check('x', 'a0')).not.toThrow();
  });
});
