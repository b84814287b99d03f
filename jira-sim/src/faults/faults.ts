import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { SimEnv, WebhookDeliveryFaults } from '../context.js';

/** What `PUT /rest/sim/1.0/faults` accepts. Counts make tests deterministic: "the next 3 requests". */
export const faultConfigSchema = z
  .object({
    rateLimit: z
      .object({
        count: z.number().int().min(0),
        retryAfterSeconds: z.number().int().min(0).max(86_400).default(1),
      })
      .strict()
      .optional(),
    serverError: z
      .object({ count: z.number().int().min(0), status: z.number().int().min(500).max(599).default(503) })
      .strict()
      .optional(),
    latencyMs: z.number().int().min(0).max(600_000).optional(),
    hang: z
      .object({ count: z.number().int().min(0) })
      .strict()
      .optional(),
    paths: z
      .string()
      .max(1000)
      .refine(
        (source) => {
          try {
            new RegExp(source);
            return true;
          } catch {
            return false;
          }
        },
        { message: 'not a valid regular expression' },
      )
      .optional(),
    /**
     * Server/DC only: after this many failed Basic logins in a row, Jira wants a CAPTCHA and
     * refuses every Basic request for that user (even with the right password) until they
     * sign in through the login page.
     */
    captchaAfterFailedLogins: z.number().int().min(1).max(100).optional(),
    webhooks: z
      .object({
        drop: z.number().min(0).max(1).optional(),
        duplicate: z.number().min(0).max(1).optional(),
        delayMs: z.number().int().min(0).max(600_000).optional(),
        reorder: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type FaultConfig = z.infer<typeof faultConfigSchema>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Request faults (rate limit, server errors, latency, hung requests) and the webhook delivery
 * faults, which live in the shared `ctx.webhookFaults` object the data side reads.
 */
export function createFaults(webhookFaults: WebhookDeliveryFaults) {
  let config: FaultConfig = {};
  let remaining = { rateLimit: 0, serverError: 0, hang: 0 };
  let paths: RegExp | undefined;
  const hung = new Set<() => void>();

  function setWebhookFaults(value: FaultConfig['webhooks']) {
    webhookFaults.drop = value?.drop ?? 0;
    webhookFaults.duplicate = value?.duplicate ?? 0;
    webhookFaults.delayMs = value?.delayMs ?? 0;
    webhookFaults.reorder = value?.reorder ?? false;
  }

  function releaseHung() {
    for (const release of hung) release();
    hung.clear();
  }

  const faults = {
    set(next: FaultConfig) {
      config = next;
      remaining = {
        rateLimit: next.rateLimit?.count ?? 0,
        serverError: next.serverError?.count ?? 0,
        hang: next.hang?.count ?? 0,
      };
      paths = next.paths === undefined ? undefined : new RegExp(next.paths);
      setWebhookFaults(next.webhooks);
    },
    clear() {
      faults.set({});
      releaseHung();
    },
    /** Current settings with what is left of each count. */
    describe() {
      return {
        ...config,
        remaining: { ...remaining },
        hungRequests: hung.size,
        webhooks: { ...webhookFaults },
      };
    },
    releaseHung,
    captchaThreshold: () => config.captchaAfterFailedLogins,
    /** Runs before authentication: a real rate limiter or failing node answers before Jira looks at who you are. */
    middleware(): MiddlewareHandler<SimEnv> {
      return async (c, next) => {
        if (paths && !paths.test(new URL(c.req.url).pathname)) return next();
        if (config.latencyMs) await sleep(config.latencyMs);
        if (remaining.hang > 0) {
          remaining.hang--;
          await new Promise<void>((resolve) => {
            const release = () => {
              hung.delete(release);
              resolve();
            };
            hung.add(release);
            c.req.raw.signal?.addEventListener('abort', release, { once: true });
          });
          return c.json(
            { errorMessages: ['The request was held by an injected hang fault and released.'], errors: {} },
            503,
          );
        }
        if (remaining.rateLimit > 0) {
          remaining.rateLimit--;
          const retryAfter = config.rateLimit?.retryAfterSeconds ?? 1;
          c.header('Retry-After', String(retryAfter));
          c.header('X-RateLimit-Limit', '100');
          c.header('X-RateLimit-Remaining', '0');
          c.header('RateLimit-Reason', 'jira-quota-global-based');
          return c.json({ errorMessages: ['Rate limit exceeded.'], errors: {} }, 429);
        }
        if (remaining.serverError > 0) {
          remaining.serverError--;
          const status = (config.serverError?.status ?? 503) as 500 | 502 | 503 | 504;
          return c.json({ errorMessages: [`Injected server error (${status}).`], errors: {} }, status);
        }
        return next();
      };
    },
  };
  return faults;
}

export type Faults = ReturnType<typeof createFaults>;
