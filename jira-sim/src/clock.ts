import type { SimClock } from './context.js';

/** Real time plus an offset, so tests can skew Jira's clock or jump forward (expiry, 30-day webhooks). */
export function createClock(initialOffsetMs = 0): SimClock & { offsetMs(): number } {
  let offset = initialOffsetMs;
  return {
    now: () => Date.now() + offset,
    advance(ms: number) {
      offset += ms;
    },
    setOffset(ms: number) {
      offset = ms;
    },
    offsetMs: () => offset,
  };
}

/** Jira's timestamp format: `2024-01-02T03:04:05.678+0000`. */
export function jiraTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}
