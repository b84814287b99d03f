import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FieldMeta } from '../jira/index.js';
import { checkFields, FieldErrors, formFields } from './defects-filing-fields.js';

const META: FieldMeta[] = [
  { fieldId: 'summary', name: 'Summary', required: true, schema: { type: 'string', system: 'summary' } },
  {
    fieldId: 'issuetype',
    name: 'Issue Type',
    required: true,
    schema: { type: 'issuetype' },
    allowedValues: [{ id: '1', name: 'Bug' }],
  },
  {
    fieldId: 'project',
    name: 'Project',
    required: true,
    schema: { type: 'project' },
    allowedValues: [{ id: '10000', key: 'DEMO' }],
  },
  { fieldId: 'description', name: 'Description', required: true, schema: { type: 'string' } },
  {
    fieldId: 'priority',
    name: 'Priority',
    required: false,
    hasDefaultValue: true,
    schema: { type: 'priority' },
    allowedValues: [
      { id: '2', name: 'High' },
      { id: '3', name: 'Medium' },
    ],
  },
  { fieldId: 'labels', name: 'Labels', required: false, schema: { type: 'array', items: 'string' } },
  {
    fieldId: 'components',
    name: 'Component/s',
    required: false,
    schema: { type: 'array', items: 'component' },
    allowedValues: [{ id: '7', name: 'Checkout' }],
  },
  { fieldId: 'reporter', name: 'Reporter', required: true, hasDefaultValue: true, schema: { type: 'user' } },
  { fieldId: 'duedate', name: 'Due Date', required: false, schema: { type: 'date' } },
  {
    fieldId: 'customfield_10100',
    name: 'Severity',
    required: true,
    schema: { type: 'number', custom: 'float' },
  },
];

const form = formFields(META, { summary: 'Failed: Pay', description: 'Steps…' });
const fixed = { project: { id: '10000' }, issuetype: { id: '1' } };
const check = (given: Record<string, unknown>, cloud = false) =>
  checkFields({ form, given, fixed, cloud, where: 'Bug in DEMO' });

function fieldErrors(given: Record<string, unknown>): Record<string, string> {
  try {
    check(given);
  } catch (e) {
    if (e instanceof FieldErrors) return e.fields;
    throw e;
  }
  throw new Error('expected field errors');
}

describe('defect form fields from createmeta', () => {
  it('marks project and issue type as fixed and carries the prefill', () => {
    expect(form.find((f) => f.fieldId === 'project')?.fixed).toBe(true);
    expect(form.find((f) => f.fieldId === 'summary')?.prefill).toBe('Failed: Pay');
    expect(form.find((f) => f.fieldId === 'priority')?.allowedValues).toEqual([
      { id: '2', name: 'High' },
      { id: '3', name: 'Medium' },
    ]);
  });

  it('fills in the prefill, converts allowed values to ids and keeps fixed fields', () => {
    expect(
      check({
        customfield_10100: 3,
        priority: 'high',
        components: ['Checkout'],
        labels: ['ui'],
        duedate: '2026-12-01',
      }),
    ).toEqual({
      ...fixed,
      summary: 'Failed: Pay',
      description: 'Steps…',
      customfield_10100: 3,
      priority: { id: '2' },
      components: [{ id: '7' }],
      labels: ['ui'],
      duedate: '2026-12-01',
    });
    expect(check({ customfield_10100: 1, reporter: 'abc' }, true).reporter).toEqual({ accountId: 'abc' });
    expect(check({ customfield_10100: 1, reporter: 'bo' }, false).reporter).toEqual({ name: 'bo' });
  });

  it('names every bad field: required, blank, unknown, fixed, wrong type or value', () => {
    expect(
      fieldErrors({
        description: ' ',
        priority: 'Urgent',
        labels: ['two words'],
        components: ['Nope'],
        duedate: 'tomorrow',
        project: 'OTHER',
        nosuch: 1,
        summary: 'a\nb',
      }),
    ).toEqual({
      description: 'Description is required',
      priority: 'Priority must be one of: High, Medium',
      labels: 'Labels must not contain spaces (Jira labels are single words)',
      components: 'Component/s has "Nope", which is not one of: Checkout',
      duedate: 'Due Date must be a date as YYYY-MM-DD',
      project: 'is set by Testbridge from the project mapping',
      nosuch: "is not on Jira's create screen for Bug in DEMO",
      summary: 'Summary must be a single line',
      customfield_10100: 'Severity is required',
    });
    expect(fieldErrors({ customfield_10100: 1, summary: 'x'.repeat(256) }).summary).toMatch(/at most 255/);
  });

  it('answers any JSON the caller sends with fields or per-field errors, never a crash', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 2 })), (given) => {
        try {
          const out = check(given);
          expect(out.project).toEqual(fixed.project);
        } catch (e) {
          expect(e).toBeInstanceOf(FieldErrors);
          const body = (e as FieldErrors).toBody();
          expect(body.error.code).toBe('defect_fields_invalid');
          expect(Object.keys(body.error.fields).length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
  });
});
