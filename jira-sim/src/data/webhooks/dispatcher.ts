/**
 * Delivers webhook requests the way Jira Cloud does: JSON POSTs with a stable
 * X-Atlassian-Webhook-Identifier, X-Atlassian-Webhook-Retry on retries, an HMAC-SHA256
 * X-Hub-Signature when the webhook has a secret, and retries with backoff on 408, 409, 425,
 * 429, 5xx and connection failures only. Fault injection (drop, duplicate, delay, reorder)
 * draws from a PRNG seeded with ctx.seed, so a failing run can be replayed exactly.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { SimContext } from '../../context.js';
import { mulberry32 } from '../random.js';

export type DeliveryTarget = {
  webhookId: number;
  source: 'admin' | 'dynamic';
  url: string;
  secret: string | null;
  excludeBody: boolean;
};

export type DeliveryAttempt = { at: number; status: number | null; error: string | null };

export type DeliveryRecord = {
  identifier: string;
  webhookId: number;
  source: 'admin' | 'dynamic';
  event: string;
  url: string;
  state: 'queued' | 'delivered' | 'retrying' | 'failed' | 'dropped';
  duplicated: boolean;
  attempts: DeliveryAttempt[];
  body: string;
};

type Job = { record: DeliveryRecord; target: DeliveryTarget; retry: number; body: string };

export const DEFAULT_RETRY_DELAYS_MS = [200, 1_000, 3_000, 5_000, 10_000];
const RETRYABLE = new Set([408, 409, 425, 429]);
const LOG_LIMIT = 10_000;
/** Bodies are kept in the log for the newest deliveries only, so a long benchmark stays small. */
const LOG_BODIES = 500;
const REQUEST_TIMEOUT_MS = 10_000;

export class WebhookDispatcher {
  readonly log: DeliveryRecord[] = [];
  private readonly queue: Job[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inflight = new Set<AbortController>();
  private random: () => number;
  private pumping = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private pendingRetries = 0;

  constructor(private readonly ctx: SimContext) {
    this.random = mulberry32(ctx.seed ^ 0x5eed);
  }

  /** Drops queued work and the log, and restarts the fault PRNG (used by reset). */
  reset(): void {
    this.queue.length = 0;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pendingRetries = 0;
    this.log.length = 0;
    this.random = mulberry32(this.ctx.seed ^ 0x5eed);
    this.notifyIdle();
  }

  enqueue(target: DeliveryTarget, event: string, body: string): DeliveryRecord {
    const record: DeliveryRecord = {
      identifier: randomUUID(),
      webhookId: target.webhookId,
      source: target.source,
      event,
      url: target.url,
      state: 'queued',
      duplicated: false,
      attempts: [],
      body: target.excludeBody ? '' : body,
    };
    this.log.push(record);
    if (this.log.length > LOG_LIMIT) this.log.splice(0, this.log.length - LOG_LIMIT);
    const old = this.log[this.log.length - 1 - LOG_BODIES];
    if (old) old.body = '';
    if (this.closed) return record;
    this.queue.push({ record, target, retry: 0, body: record.body });
    void this.pump();
    return record;
  }

  /** Resolves when nothing is queued, in flight or waiting for a retry. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pendingRetries = 0;
    for (const c of this.inflight) c.abort();
    this.notifyIdle();
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && !this.pumping && this.pendingRetries === 0;
  }

  private notifyIdle(): void {
    if (!this.isIdle() && !this.closed) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const faults = this.ctx.webhookFaults;
        const index = faults.reorder ? Math.floor(this.random() * this.queue.length) : 0;
        const job = this.queue.splice(index, 1)[0]!;
        if (job.retry === 0 && faults.drop > 0 && this.random() < faults.drop) {
          job.record.state = 'dropped';
          continue;
        }
        if (faults.delayMs > 0) await this.sleep(faults.delayMs);
        if (this.closed) break;
        await this.attempt(job);
        if (job.retry === 0 && faults.duplicate > 0 && this.random() < faults.duplicate && !this.closed) {
          job.record.duplicated = true;
          await this.attempt({ ...job }, true);
        }
      }
    } finally {
      this.pumping = false;
      this.notifyIdle();
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  private async attempt(job: Job, duplicate = false): Promise<void> {
    const { record, target } = job;
    const headers: Record<string, string> = {
      'Content-Type': 'application/json; charset=utf-8',
      'User-Agent': 'Atlassian Webhook HTTP Client',
      'X-Atlassian-Webhook-Identifier': record.identifier,
    };
    if (job.retry > 0) headers['X-Atlassian-Webhook-Retry'] = String(job.retry);
    if (target.secret) {
      headers['X-Hub-Signature'] =
        `sha256=${createHmac('sha256', target.secret).update(job.body).digest('hex')}`;
    }
    const controller = new AbortController();
    this.inflight.add(controller);
    const timeout = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers,
        body: job.body,
        signal: controller.signal,
      });
      status = response.status;
      await response.arrayBuffer().catch(() => undefined);
    } catch (e) {
      error = e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
    } finally {
      clearTimeout(timeout);
      this.inflight.delete(controller);
    }
    record.attempts.push({ at: this.ctx.clock.now(), status, error });
    if (duplicate) return;
    const retryable = status === null || status >= 500 || RETRYABLE.has(status);
    if (status !== null && status >= 200 && status < 300) {
      record.state = 'delivered';
      return;
    }
    const delays = this.ctx.webhookRetryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    if (!retryable || job.retry >= delays.length || this.closed) {
      record.state = 'failed';
      return;
    }
    record.state = 'retrying';
    const delay = delays[job.retry]!;
    this.pendingRetries++;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.pendingRetries--;
      if (this.closed) return;
      this.queue.push({ ...job, retry: job.retry + 1 });
      void this.pump();
    }, delay);
    this.timers.add(t);
  }
}
