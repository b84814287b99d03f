import { expect, it } from 'vitest';
import { describeEachDialect } from '../store/testing.js';
import { acquireLease, releaseLease } from './scheduler.js';

describeEachDialect('sync leases', (getStore) => {
  it('one holder at a time; renewable by its holder; free after release or expiry', async () => {
    const { db } = getStore();
    expect(await acquireLease(db, 'import:m1', 'a', 60_000)).toBe(true);
    expect(await acquireLease(db, 'import:m1', 'b', 60_000)).toBe(false);
    expect(await acquireLease(db, 'import:m1', 'a', 60_000)).toBe(true);
    await releaseLease(db, 'import:m1', 'b');
    expect(await acquireLease(db, 'import:m1', 'b', 60_000)).toBe(false);
    await releaseLease(db, 'import:m1', 'a');
    expect(await acquireLease(db, 'import:m1', 'b', 1)).toBe(true);
    await new Promise((r) => setTimeout(r, 5));
    // b's lease expired: a crashed holder does not block the work forever.
    expect(await acquireLease(db, 'import:m1', 'a', 60_000)).toBe(true);
    expect(await acquireLease(db, 'import:m2', 'b', 60_000)).toBe(true);
  });
});
