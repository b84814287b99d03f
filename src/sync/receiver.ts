/**
 * The webhook receiver's hot path: token -> mapping (cached), raw bytes under a size cap,
 * X-Hub-Signature checked on those exact bytes, one durable INSERT into the inbox (grouped
 * with concurrent deliveries), then 2xx. Nothing is parsed or applied here: Jira times out
 * slow receivers and retries, and a parse failure must never cost a delivery.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import type { Kysely } from 'kysely';
import { AppError } from '../errors.js';
import type { SecretVault } from '../integration/deps.js';
import { webhookSecretContext } from '../integration/webhooks-secret.js';
import type { Database } from '../store/schema.js';
import { InboxWriter, type InsertOutcome } from './inbox.js';

/** Jira's biggest issue payloads (100+ custom fields, long descriptions) stay well under this. */
export const DEFAULT_MAX_DELIVERY_BYTES = 2 * 1024 * 1024;

export type ReceiverOptions = {
  maxBodyBytes?: number;
  /** How long a token's mapping and secret are trusted without asking the database again. */
  cacheTtlMs?: number;
  now?: () => number;
};

type Target = { mappingId: string; secret: string | null; expires: number };

/** The headers kept with a delivery: enough to trace it in Jira's delivery log, nothing secret. */
const KEPT_HEADERS = [
  'x-atlassian-webhook-identifier',
  'x-atlassian-webhook-retry',
  'user-agent',
  'content-type',
];

export type Receiver = {
  handle(c: Context): Promise<Response>;
  /** Drops cached tokens (a mapping's secret or token changed, or it was removed). */
  forget(mappingId?: string): void;
  writer: InboxWriter;
};

const unauthorized = () =>
  new AppError(
    'webhook_unauthorized',
    'This webhook delivery is not for a Testbridge mapping, or its signature is wrong.',
    {
      status: 401,
      hint: 'Copy the webhook URL and secret again from the mapping page in Testbridge, or let Testbridge repair the webhook (POST /api/mappings/:id/webhook/check).',
    },
  );

/** `sha256=<hex>` over the raw body, compared in constant time. */
export function signatureMatches(secret: string, body: Uint8Array, header: string | undefined): boolean {
  if (!header) return false;
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!match?.[1]) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = Buffer.from(match[1], 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function readCapped(c: Context, max: number): Promise<Uint8Array> {
  const tooLarge = () =>
    new AppError('webhook_too_large', `The webhook body is larger than ${max} bytes.`, {
      status: 413,
      hint: 'Exclude unneeded fields from the webhook, or raise the receiver limit.',
    });
  const declared = Number(c.req.header('content-length') ?? 'NaN');
  if (Number.isFinite(declared) && declared > max) throw tooLarge();
  const stream = c.req.raw.body;
  if (!stream) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}

export function createReceiver(
  deps: { store: { db: Kysely<Database> }; vault: SecretVault },
  options: ReceiverOptions = {},
): Receiver {
  const max = options.maxBodyBytes ?? DEFAULT_MAX_DELIVERY_BYTES;
  const ttl = options.cacheTtlMs ?? 10_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, Target>();
  const writer = new InboxWriter(deps.store.db);

  async function target(token: string, fresh = false): Promise<Target | undefined> {
    const hit = cache.get(token);
    if (hit && hit.expires > now() && !fresh) return hit;
    // Tokens are 32 base64url characters; anything else cannot be one and costs no query.
    if (!/^[A-Za-z0-9_-]{16,128}$/.test(token)) return undefined;
    const row = await deps.store.db
      .selectFrom('sync_mappings')
      .select(['id', 'webhook_secret_sealed'])
      .where('webhook_token', '=', token)
      .executeTakeFirst();
    if (!row) {
      cache.delete(token);
      return undefined;
    }
    const secret = row.webhook_secret_sealed
      ? await deps.vault.open(row.webhook_secret_sealed, webhookSecretContext(row.id))
      : null;
    const t = { mappingId: row.id, secret, expires: now() + ttl };
    if (cache.size > 10_000) cache.clear();
    cache.set(token, t);
    return t;
  }

  return {
    writer,
    forget(mappingId) {
      if (!mappingId) return cache.clear();
      for (const [k, v] of cache) if (v.mappingId === mappingId) cache.delete(k);
    },
    async handle(c) {
      const token = c.req.param('token') ?? '';
      let t = await target(token);
      if (!t) throw unauthorized();
      const bytes = await readCapped(c, max);
      const signature = c.req.header('x-hub-signature');
      // A cached entry may predate a new or rotated secret: look again before refusing or
      // before accepting a signed delivery as unsigned.
      const verify = (x: Target) => x.secret === null || signatureMatches(x.secret, bytes, signature);
      if (!verify(t) || (t.secret === null && signature !== undefined)) {
        t = await target(token, true);
        if (!t || !verify(t)) throw unauthorized();
      }
      const headers: Record<string, string> = {};
      for (const name of KEPT_HEADERS) {
        const v = c.req.header(name);
        if (v !== undefined) headers[name] = v.slice(0, 200);
      }
      let outcome: InsertOutcome;
      try {
        outcome = await writer.insert({
          mappingId: t.mappingId,
          identifier: c.req.header('x-atlassian-webhook-identifier'),
          // PostgreSQL text cannot hold NUL; valid JSON never has a raw one (it writes \u0000),
          // so such a body is unusable anyway and is kept, marked, for the worker to ignore.
          body: Buffer.from(bytes).toString('utf8').replace(/\0/g, '\uFFFD'),
          headers,
          receivedAt: new Date(now()).toISOString(),
        });
      } catch (cause) {
        // The mapping may have been removed since its token was cached.
        if (!(await target(token, true))) throw unauthorized();
        throw new AppError(
          'inbox_unavailable',
          'The delivery could not be stored; Jira will send it again.',
          {
            status: 503,
            hint: 'Check that the database is running; Jira retries failed deliveries.',
            cause,
          },
        );
      }
      return c.json({ status: outcome }, outcome === 'stored' ? 202 : 200);
    },
  };
}
