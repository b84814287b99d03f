import { expect, it } from 'vitest';
import { insertTestMapping } from '../integration/mappings-testing.js';
import { describeEachDialect } from '../store/testing.js';
import { claimDeliveries, InboxWriter } from './inbox.js';

describeEachDialect('inbox claims', (getStore, dialect) => {
  it('gives concurrent workers disjoint rows, and a lapsed lease back to the next claim', async () => {
    const db = getStore().db;
    const m = await insertTestMapping(db);
    const writer = new InboxWriter(db);
    const t0 = '2026-01-01T00:00:00.000Z';
    const outcomes = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        writer.insert({
          mappingId: m.id,
          identifier: `d-${i}`,
          body: `{"n":${i}}`,
          headers: {},
          receivedAt: t0,
        }),
      ),
    );
    expect(outcomes.every((o) => o === 'stored')).toBe(true);
    const now = '2026-01-01T00:00:01.000Z';
    const lease = '2026-01-01T00:01:00.000Z';
    const claims = await Promise.all(
      [1, 2, 3].map(() => claimDeliveries(db, dialect, { now, leaseUntil: lease, limit: 25 })),
    );
    const ids = claims.flat().map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(60);
    // Nothing is claimable while the leases run; everything once they lapse.
    expect(await claimDeliveries(db, dialect, { now, leaseUntil: lease, limit: 100 })).toHaveLength(0);
    const later = await claimDeliveries(db, dialect, {
      now: '2026-01-01T00:02:00.000Z',
      leaseUntil: '2026-01-01T00:03:00.000Z',
      limit: 100,
    });
    expect(later).toHaveLength(60);
  });
});
