import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Jira's REST error body: `{"errorMessages":[...],"errors":{...}}`. */
export type JiraErrorBody = { errorMessages: string[]; errors: Record<string, string> };

export function jiraErrorBody(errorMessages: string[], errors: Record<string, string> = {}): JiraErrorBody {
  return { errorMessages, errors };
}

export function jiraError(
  c: Context,
  status: ContentfulStatusCode,
  errorMessages: string[],
  errors: Record<string, string> = {},
): Response {
  return c.json(jiraErrorBody(errorMessages, errors), status);
}

export const NOT_AUTHENTICATED =
  'You are not authenticated. Authentication required to perform this operation.';

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** A minimal page in Jira's spirit; `body` must already be escaped. */
export function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} - jira-sim</title>
<style>body{font-family:sans-serif;margin:2em;max-width:60em}label{display:block;margin-top:.8em}
input[type=text],input[type=password],input[type=url],textarea{width:100%}.error{color:#b00}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}</style>
</head><body><header><strong>jira-sim</strong></header><main>
<h1>${escapeHtml(title)}</h1>
${body}
</main></body></html>`;
}

/** Reads a url-encoded or multipart form into string fields; anything else gives an empty form. */
export async function readForm(c: Context): Promise<Record<string, string>> {
  const type = c.req.header('content-type') ?? '';
  if (!type.includes('application/x-www-form-urlencoded') && !type.includes('multipart/form-data')) return {};
  try {
    const body = await c.req.parseBody();
    const fields: Record<string, string> = {};
    for (const [name, value] of Object.entries(body)) {
      if (typeof value === 'string') fields[name] = value;
    }
    return fields;
  } catch {
    return {};
  }
}

/** Reads a JSON object body; `undefined` when the body is missing or not a JSON object. */
export async function readJsonObject(c: Context): Promise<Record<string, unknown> | undefined> {
  try {
    const value: unknown = await c.req.json();
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
