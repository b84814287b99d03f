import type { Context } from 'hono';
import type { z } from 'zod';
import { AppError } from '../errors.js';

/** JSON bodies of the REST API are small; anything bigger is a mistake or an attack. */
export const MAX_JSON_BYTES = 64 * 1024;

/**
 * Reads and validates a JSON request body, turning every failure into a 400 that says
 * which field is wrong and what a good body looks like. Values are never echoed: a body
 * may carry a password or token.
 */
export async function readJson<T>(c: Context, schema: z.ZodType<T>, example: string): Promise<T> {
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > MAX_JSON_BYTES) throw tooLarge();
  let text: string;
  try {
    text = await c.req.text();
  } catch {
    throw new AppError('invalid_json', 'The request body could not be read.', {
      hint: 'Send the request again.',
    });
  }
  if (Buffer.byteLength(text) > MAX_JSON_BYTES) throw tooLarge();
  let raw: unknown;
  try {
    raw = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw new AppError('invalid_json', 'The request body is not valid JSON.', {
      hint: `Send a JSON object such as ${example} with Content-Type: application/json.`,
    });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.length ? issue.path.join('.') : 'body';
    throw new AppError('invalid_request', `The field ${field} ${issue?.message ?? 'is not valid'}.`, {
      hint: `Send a JSON object such as ${example}.`,
    });
  }
  return parsed.data;
}

function tooLarge(): AppError {
  return new AppError('payload_too_large', `The request body is larger than ${MAX_JSON_BYTES / 1024} KiB.`, {
    status: 413,
    hint: 'Send only the documented fields.',
  });
}
