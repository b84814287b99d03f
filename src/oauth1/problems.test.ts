import { describe, expect, it } from 'vitest';
import { compareBaseStrings, OAuthProblemError, oauthProblemError, parseOAuthProblem } from './problems.js';

const context = {
  consumerKey: 'Testbridge',
  requestUrl: 'https://jira.example.com/rest/api/2/myself',
  signingUrl: 'https://jira.example.com/rest/api/2/myself',
};

describe('parseOAuthProblem', () => {
  it('reads Jira form-encoded problem bodies', () => {
    expect(
      parseOAuthProblem({
        status: 401,
        body: 'oauth_problem=timestamp_refused&oauth_acceptable_timestamps=1700000000-1700000600&oauth_problem_advice=clock+skew',
      }),
    ).toEqual({
      problem: 'timestamp_refused',
      status: 401,
      acceptableTimestamps: [1700000000, 1700000600],
      advice: 'clock skew',
    });
    expect(
      parseOAuthProblem({
        status: 400,
        body: 'oauth_problem=parameter_absent&oauth_parameters_absent=oauth_verifier',
      }),
    ).toMatchObject({ problem: 'parameter_absent', parametersAbsent: ['oauth_verifier'] });
  });

  it('reads the WWW-Authenticate header, and prefers the body when both exist', () => {
    const wwwAuthenticate = 'OAuth realm="https%3A%2F%2Fjira.example.com", oauth_problem="token_expired"';
    expect(parseOAuthProblem({ status: 401, body: '', wwwAuthenticate })).toEqual({
      problem: 'token_expired',
      status: 401,
    });
    expect(
      parseOAuthProblem({ status: 401, body: 'oauth_problem=token_rejected', wwwAuthenticate })?.problem,
    ).toBe('token_rejected');
  });

  it('finds nothing in HTML pages, other schemes or malformed text', () => {
    expect(parseOAuthProblem({ status: 401, body: '<html>oauth_problem=x</html>' })).toBeUndefined();
    expect(
      parseOAuthProblem({ status: 401, body: '', wwwAuthenticate: 'Basic realm="Jira"' }),
    ).toBeUndefined();
    expect(parseOAuthProblem({ status: 401, body: 'oauth_problem=%zz' })).toBeUndefined();
    expect(parseOAuthProblem({ status: 401, body: '', wwwAuthenticate: 'OAuth garbage"' })).toBeUndefined();
  });
});

describe('compareBaseStrings', () => {
  const ours =
    'GET&https%3A%2F%2Fjira.example.com%2Frest&a%3D1%26oauth_nonce%3Dn%26oauth_token%3Dsecret-token';
  it('names differing parameters without their values', () => {
    const theirs = 'GET&https%3A%2F%2Fjira.example.com%2Frest&a%3D2%26b%3D1%26oauth_nonce%3Dn';
    const diff = compareBaseStrings(ours, theirs);
    expect(diff.kind).toBe('parameters');
    expect(diff.differences).toEqual([
      'parameters Jira did not see: oauth_token.',
      'parameters Jira saw that we did not sign: b.',
      'parameters with different values: a.',
    ]);
    expect(diff.differences.join(' ')).not.toContain('secret-token');
  });

  it('spots method, path and port differences', () => {
    const diff = compareBaseStrings(
      ours,
      'POST&https%3A%2F%2Fjira.example.com%3A8443%2Fjira%2Frest&a%3D1%26oauth_nonce%3Dn%26oauth_token%3Dsecret-token',
    );
    expect(diff.kind).toBe('method');
    expect(diff.differences).toEqual([
      'HTTP method: we signed GET, Jira saw POST.',
      'port: we signed 443, Jira saw 8443.',
      'path: we signed /rest, Jira saw /jira/rest.',
    ]);
  });

  it('reports encoding-only differences and unreadable echoes', () => {
    expect(compareBaseStrings(ours, ours).identical).toBe(true);
    expect(compareBaseStrings(ours, 'garbage').kind).toBe('unreadable');
    const reencoded = ours.replace('a%3D1', 'a%3D%31');
    expect(compareBaseStrings(ours, reencoded).differences).toEqual([
      'the parameters are encoded differently.',
    ]);
  });
});

describe('oauthProblemError', () => {
  it.each([
    ['consumer_key_unknown', /consumer key "Testbridge"/],
    ['consumer_key_refused', /enabled/],
    ['signature_method_rejected', /RSA-SHA1/],
    ['nonce_used', /Retry/],
    ['token_rejected', /Authorize Testbridge again/],
    ['token_expired', /Authorize Testbridge again/],
    ['permission_denied', /click Allow/],
    ['permission_unknown', /verification code/],
    ['parameter_absent', /Authorization header/],
    ['signature_invalid', /base URL/],
    ['timestamp_refused', /NTP/],
  ])('%s has code oauth1_%s and a hint', (problem, hint) => {
    const err = oauthProblemError({ problem, status: 401 }, context);
    expect(err).toBeInstanceOf(OAuthProblemError);
    expect(err.code).toBe(`oauth1_${problem}`);
    expect(err.problem).toBe(problem);
    expect(err.hint).toMatch(hint);
    expect(err.toBody().error.code).toBe(`oauth1_${problem}`);
  });

  it('passes other problems through and keeps codes machine-safe', () => {
    const other = oauthProblemError(
      { problem: 'additional_authorization_required', status: 401, advice: 'ask admin' },
      context,
    );
    expect(other.code).toBe('oauth1_additional_authorization_required');
    expect(other.message).toContain('ask admin');
    const odd = oauthProblemError({ problem: 'Weird Problem!', status: 401 }, context);
    expect(odd.code).toBe('oauth1_unknown');
    expect(odd.problem).toBe('Weird Problem!');
  });
});
