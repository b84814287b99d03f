import { describe, expect, it } from 'vitest';
import { jqlDate } from './reconcile.js';

describe('jqlDate', () => {
  it("formats the watermark in the account's time zone, to the minute (JQL's precision)", () => {
    expect(jqlDate('2026-11-29T04:36:49.123Z', 'Etc/UTC')).toBe('2026/11/29 04:36');
    expect(jqlDate('2026-11-29T04:36:49.123Z', 'Europe/Berlin')).toBe('2026/11/29 05:36');
    expect(jqlDate('2026-11-29T23:30:00.000Z', 'Asia/Tokyo')).toBe('2026/11/30 08:30');
    expect(jqlDate('2026-07-01T00:05:00.000Z', 'America/New_York')).toBe('2026/06/30 20:05');
  });
  it('falls back to UTC for a missing or unknown zone instead of failing the reconcile', () => {
    expect(jqlDate('2026-11-29T04:36:00.000Z', undefined)).toBe('2026/11/29 04:36');
    expect(jqlDate('2026-11-29T04:36:00.000Z', 'Mars/Olympus')).toBe('2026/11/29 04:36');
  });
});
