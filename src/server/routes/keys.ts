import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import {
  DEFAULT_BITS,
  type Fingerprint,
  generateKeyPair,
  keysMatch,
  readPrivateKey,
  readPublicKey,
} from '../../keys/index.js';

/**
 * The key generator's API: the one place a freshly generated private key leaves the
 * server, to the administrator who asked for it, over the UI's own origin, never cached
 * and never stored. Checking pasted keys answers with facts about them (size, fingerprint,
 * whether they pair up), never with the key text.
 */

export type GenerateKeysResponse = {
  bits: number;
  privateKeyPem: string;
  publicKeyPem: string;
  certificatePem: string;
  publicKeyBody: string;
  fingerprint: Fingerprint;
  warnings: string[];
};

type KeyFacts = { bits: number; format: string; fingerprint: Fingerprint; warnings: string[] };

export type CheckKeysResponse = {
  privateKey?: KeyFacts;
  publicKey?: KeyFacts & { certificate?: { subject: string; validFrom: string; validTo: string } };
  /** Present when both keys were given. */
  match?: boolean;
};

/** A PEM of a 16384-bit key or certificate is well under this; anything bigger is not a key. */
const MAX_BODY_BYTES = 64 * 1024;
/** 4096-bit generation takes seconds of CPU; a few at once is plenty for administrators. */
const MAX_CONCURRENT_GENERATIONS = 2;

const generateBody = z.object({ bits: z.number().int().optional() }).strict();
const checkBody = z.object({ privateKey: z.string().optional(), publicKey: z.string().optional() }).strict();

async function readJson<T>(req: Request, schema: z.ZodType<T>, example: string): Promise<T> {
  let raw: unknown;
  try {
    const text = await req.text();
    raw = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw new AppError('invalid_json', 'The request body is not valid JSON.', {
      hint: `Send a JSON object such as ${example} with Content-Type: application/json.`,
    });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'body';
    // Zod's messages describe types and keys, never the submitted values.
    throw new AppError(
      'invalid_request',
      `The request's ${where} is not valid: ${issue?.message ?? 'unknown'}.`,
      {
        hint: `Send a JSON object such as ${example}.`,
      },
    );
  }
  return parsed.data;
}

const tooLarge = () =>
  new AppError('request_too_large', 'The request is larger than any RSA key.', {
    status: 413,
    hint: 'Paste a single key (the content of one .pem, .pcks8 or .cer file), not a whole folder of files.',
  });

export type KeysRoutesOptions = {
  /** Lets only administrators through; the foundation's session middleware. */
  requireAdmin: MiddlewareHandler;
};

/** Mounted at /api/keys. */
export function keysRoutes({ requireAdmin }: KeysRoutesOptions): Hono {
  const routes = new Hono();
  let generating = 0;

  routes.use('*', requireAdmin);
  routes.use('*', bodyLimit({ maxSize: MAX_BODY_BYTES, onError: () => Promise.reject(tooLarge()) }));
  routes.use('*', async (c, next) => {
    await next();
    // Generated private keys and pasted keys' facts must not sit in any cache.
    c.header('Cache-Control', 'no-store');
  });

  routes.post('/generate', async (c) => {
    const { bits } = await readJson(c.req.raw, generateBody, `{"bits": ${DEFAULT_BITS}}`);
    if (generating >= MAX_CONCURRENT_GENERATIONS) {
      throw new AppError('keys_busy', 'Testbridge is already generating key pairs.', {
        status: 429,
        hint: 'Wait a few seconds for the current key generation to finish, then try again.',
      });
    }
    generating++;
    try {
      const pair = await generateKeyPair({ bits: bits ?? DEFAULT_BITS });
      const body: GenerateKeysResponse = {
        bits: pair.bits,
        privateKeyPem: pair.privateKeyPem,
        publicKeyPem: pair.publicKeyPem,
        certificatePem: pair.certificatePem,
        publicKeyBody: pair.publicKeyBody,
        fingerprint: pair.fingerprint,
        warnings: pair.warnings,
      };
      return c.json(body);
    } finally {
      generating--;
    }
  });

  routes.post('/check', async (c) => {
    const input = await readJson(c.req.raw, checkBody, '{"privateKey": "-----BEGIN PRIVATE KEY-----…"}');
    const hasPrivate = (input.privateKey ?? '').trim() !== '';
    const hasPublic = (input.publicKey ?? '').trim() !== '';
    if (!hasPrivate && !hasPublic) {
      throw new AppError('key_empty', 'No key was given to check.', {
        hint: 'Paste a private key (privateKey), a public key (publicKey), or both.',
      });
    }
    const result: CheckKeysResponse = {};
    const priv = hasPrivate ? readPrivateKey(input.privateKey as string) : undefined;
    const pub = hasPublic ? readPublicKey(input.publicKey as string) : undefined;
    if (priv) {
      result.privateKey = {
        bits: priv.bits,
        format: priv.format,
        fingerprint: priv.fingerprint,
        warnings: priv.warnings,
      };
    }
    if (pub) {
      result.publicKey = {
        bits: pub.bits,
        format: pub.format,
        fingerprint: pub.fingerprint,
        warnings: pub.warnings,
        ...(pub.certificate ? { certificate: pub.certificate } : {}),
      };
    }
    if (priv && pub) result.match = keysMatch(priv.key, pub.key);
    return c.json(result);
  });

  return routes;
}
