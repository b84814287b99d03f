import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jiraHttpError, parseJiraErrorBody } from './errors.js';

describe('parseJiraErrorBody', () => {
  it('reads errorMessages and per-field errors', () => {
    expect(
      parseJiraErrorBody(
        JSON.stringify({ errorMessages: ['Issue does not exist'], errors: { summary: 'required' } }),
      ),
    ).toEqual({
      messages: ['Issue does not exist', 'summary: required'],
      fieldErrors: { summary: 'required' },
    });
  });

  it('falls back to a `message` (gateways, webhook plugin)', () => {
    expect(
      parseJiraErrorBody('{"message":"Unauthorized; scope does not match","code":401}').messages,
    ).toEqual(['Unauthorized; scope does not match']);
  });

  it('ignores HTML error pages but keeps short plain text', () => {
    expect(parseJiraErrorBody('<html><body><h1>502 Bad Gateway</h1></body></html>').messages).toEqual([]);
    expect(parseJiraErrorBody('Rate limit exceeded').messages).toEqual(['Rate limit exceeded']);
  });

  it('keeps only the problem name of an OAuth problem report (its base string carries the access token)', () => {
    const body =
      'oauth_problem=signature_invalid&oauth_signature_base_string=GET%26https%253A%252F%252Fjira%26oauth_token%253Dsecret-access-token';
    const { messages } = parseJiraErrorBody(body);
    expect(messages).toEqual(['oauth_problem=signature_invalid']);
    expect(JSON.stringify(messages)).not.toContain('secret-access-token');
  });

  it('never throws and bounds what it returns, whatever the body (fuzzed)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 3000 }),
          fc.json().map((j) => j),
        ),
        (body) => {
          const { messages } = parseJiraErrorBody(body);
          return messages.every((m) => typeof m === 'string' && m.length <= 500);
        },
      ),
    );
  });
});

describe('jiraHttpError', () => {
  it('puts method, path, status and Jira text in the message, with a hint', () => {
    const e = jiraHttpError({
      jiraStatus: 403,
      bodyText: '{"errorMessages":["You do not have the permission to see the specified issue."]}',
      method: 'GET',
      path: '/rest/api/2/issue/P-1',
    });
    expect(e.code).toBe('jira_forbidden');
    expect(e.message).toBe(
      'Jira refused the request for this account (GET /rest/api/2/issue/P-1, HTTP 403): You do not have the permission to see the specified issue.',
    );
    expect(e.toBody().error.hint).toMatch(/permission/);
  });

  it('ends with a full stop when Jira said nothing', () => {
    expect(jiraHttpError({ jiraStatus: 404, bodyText: '', method: 'GET', path: '/rest/x' }).message).toBe(
      'Jira could not find it (GET /rest/x, HTTP 404).',
    );
  });
});
