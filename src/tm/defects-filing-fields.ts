/**
 * The createmeta-driven defect form: which fields Jira's create screen has for the mapping's
 * defect type, what Testbridge prefills, and checking what a caller sends against it so a
 * mistake comes back per field (before anything is created in Jira) instead of as Jira's 400.
 */
import { AppError, type ErrorBody } from '../errors.js';
import type { FieldMeta } from '../jira/index.js';

/** A 400 whose body also names each bad field, so a form can show the message beside it. */
export class FieldErrors extends AppError {
  readonly fields: Record<string, string>;

  constructor(message: string, fields: Record<string, string>, hint: string) {
    super('defect_fields_invalid', message, { status: 400, hint });
    this.fields = fields;
  }

  override toBody(): ErrorBody & { error: { fields: Record<string, string> } } {
    const base = super.toBody();
    return { error: { ...base.error, fields: this.fields } };
  }
}

/** A createmeta field as the form needs it (allowed values reduced to what a picker shows). */
export type FormField = {
  fieldId: string;
  name: string;
  required: boolean;
  hasDefaultValue: boolean;
  type: string;
  items?: string;
  allowedValues?: { id: string; name: string }[];
  /** Set by Testbridge from the mapping (project, issue type); not for the caller to send. */
  fixed?: boolean;
  /** Testbridge's proposal (summary, description). */
  prefill?: string;
};

/** Fields Testbridge sets from the mapping: a caller value would file into the wrong place. */
const FIXED = new Set(['project', 'issuetype']);
/** Jira refuses longer summaries (255) and text fields (32767). */
const MAX_SUMMARY = 255;
const MAX_TEXT = 32_767;

function allowedOf(meta: FieldMeta): { id: string; name: string }[] | undefined {
  if (!meta.allowedValues) return undefined;
  const out: { id: string; name: string }[] = [];
  for (const v of meta.allowedValues) {
    if (!v || typeof v !== 'object') continue;
    const o = v as Record<string, unknown>;
    const id = typeof o.id === 'string' || typeof o.id === 'number' ? String(o.id) : undefined;
    const name = [o.name, o.value, o.key].find((x): x is string => typeof x === 'string');
    if (id) out.push({ id, name: name ?? id });
  }
  return out;
}

export function formFields(meta: FieldMeta[], prefill: Record<string, string>): FormField[] {
  return meta.map((m) => {
    const fieldId = m.fieldId ?? m.key ?? m.name;
    const allowed = allowedOf(m);
    return {
      fieldId,
      name: m.name,
      required: m.required,
      hasDefaultValue: m.hasDefaultValue === true,
      type: m.schema?.type ?? 'any',
      ...(m.schema?.items ? { items: m.schema.items } : {}),
      ...(allowed ? { allowedValues: allowed } : {}),
      ...(FIXED.has(fieldId) ? { fixed: true } : {}),
      ...(prefill[fieldId] !== undefined ? { prefill: prefill[fieldId] } : {}),
    };
  });
}

const isBlank = (v: unknown) =>
  v === undefined ||
  v === null ||
  (typeof v === 'string' && v.trim() === '') ||
  (Array.isArray(v) && v.length === 0);

/** One allowed value by id, name/value, or `{id}`/`{name}`/`{value}`; Jira is sent `{id}`. */
function pickAllowed(allowed: { id: string; name: string }[], value: unknown): { id: string } | undefined {
  let wanted: string | undefined;
  if (typeof value === 'string' || typeof value === 'number') wanted = String(value);
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const w = [o.id, o.name, o.value].find((x) => typeof x === 'string' || typeof x === 'number');
    if (w !== undefined) wanted = String(w);
  }
  if (wanted === undefined) return undefined;
  const lower = wanted.toLowerCase();
  const hit = allowed.find((a) => a.id === wanted) ?? allowed.find((a) => a.name.toLowerCase() === lower);
  return hit ? { id: hit.id } : undefined;
}

function choices(allowed: { id: string; name: string }[]): string {
  const names = allowed.slice(0, 15).map((a) => a.name);
  return names.length
    ? `one of: ${names.join(', ')}${allowed.length > 15 ? ', …' : ''}`
    : 'one of its allowed values (none are offered)';
}

/** A value converted to what Jira's create call expects for this field, or an error message. */
function convert(field: FormField, value: unknown, cloud: boolean): { ok: unknown } | { error: string } {
  const { type, allowedValues } = field;
  if (type === 'array') {
    if (!Array.isArray(value)) return { error: 'must be a list' };
    if (allowedValues) {
      const out: { id: string }[] = [];
      for (const item of value) {
        const hit = pickAllowed(allowedValues, item);
        if (!hit)
          return {
            error: `has ${JSON.stringify(item).slice(0, 60)}, which is not ${choices(allowedValues)}`,
          };
        out.push(hit);
      }
      return { ok: out };
    }
    if (field.items === 'string') {
      if (!value.every((v) => typeof v === 'string')) return { error: 'must be a list of text values' };
      // Jira labels cannot contain spaces.
      if (field.fieldId === 'labels' && value.some((v) => /\s/.test(v as string)))
        return { error: 'must not contain spaces (Jira labels are single words)' };
    }
    return { ok: value };
  }
  if (allowedValues) {
    const hit = pickAllowed(allowedValues, value);
    return hit ? { ok: hit } : { error: `must be ${choices(allowedValues)}` };
  }
  switch (type) {
    case 'string': {
      if (typeof value !== 'string') return { error: 'must be text' };
      const max = field.fieldId === 'summary' ? MAX_SUMMARY : MAX_TEXT;
      if (value.length > max) return { error: `must be at most ${max} characters` };
      if (field.fieldId === 'summary' && /[\r\n]/.test(value)) return { error: 'must be a single line' };
      return { ok: value };
    }
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
        ? { ok: value }
        : { error: 'must be a number' };
    case 'date':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)
        ? { ok: value }
        : { error: 'must be a date as YYYY-MM-DD' };
    case 'user':
      if (typeof value === 'string' && value.trim())
        return { ok: cloud ? { accountId: value } : { name: value } };
      return value && typeof value === 'object'
        ? { ok: value }
        : { error: 'must be a user (name or accountId)' };
    default:
      return { ok: value };
  }
}

/**
 * The `fields` to create the issue with: Testbridge's prefill overridden by the caller, the
 * project and issue type from the mapping, each value checked against createmeta.
 */
export function checkFields(options: {
  form: FormField[];
  given: Record<string, unknown>;
  fixed: Record<string, unknown>;
  cloud: boolean;
  where: string;
}): Record<string, unknown> {
  const byId = new Map(options.form.map((f) => [f.fieldId, f]));
  const errors: Record<string, string> = {};
  const out: Record<string, unknown> = { ...options.fixed };
  for (const [id, value] of Object.entries(options.given)) {
    const field = byId.get(id);
    if (!field) {
      errors[id] = `is not on Jira's create screen for ${options.where}`;
      continue;
    }
    if (field.fixed) {
      errors[id] = 'is set by Testbridge from the project mapping';
      continue;
    }
    if (isBlank(value)) continue;
    const r = convert(field, value, options.cloud);
    if ('error' in r) errors[id] = `${field.name} ${r.error}`;
    else out[id] = r.ok;
  }
  for (const f of options.form) {
    if (f.fixed || errors[f.fieldId] || out[f.fieldId] !== undefined) continue;
    const given = options.given[f.fieldId];
    if (given === undefined && f.prefill !== undefined && f.prefill.trim() !== '') {
      const r = convert(f, f.prefill, options.cloud);
      if ('ok' in r) out[f.fieldId] = r.ok;
      continue;
    }
    if (f.required && !f.hasDefaultValue) errors[f.fieldId] = `${f.name} is required`;
  }
  const bad = Object.keys(errors);
  if (bad.length) {
    throw new FieldErrors(
      `The defect cannot be filed: ${bad.length === 1 ? 'one field needs' : `${bad.length} fields need`} attention (${bad.join(', ')}).`,
      errors,
      'Fix the fields named in error.fields (GET /api/executions/:id/defect-form lists what Jira expects) and send again with the same Idempotency-Key.',
    );
  }
  return out;
}
