/**
 * Debian's python3-jira (an independent client with oauthlib's independent RSA-SHA1 signer)
 * drives the data side over OAuth 1.0a: every call below is signed and checked.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLink, PYTHON, rsaKeyPair, runPython } from '../../test/helpers.js';
import { createJiraSim, type JiraSim } from '../server.js';

const SCRIPT = fileURLToPath(new URL('../../test/python_jira_client.py', import.meta.url));
type StepResult = { step: string; ok: boolean; result?: Record<string, unknown>; error?: string };

const available =
  existsSync(PYTHON) &&
  (await runPython(['-c', 'import jira, requests_oauthlib, oauthlib, requests_toolbelt'])).code === 0;
const required = process.env.TESTBRIDGE_REQUIRE_ALL === '1';

describe('python3-jira drives the data API through OAuth 1.0a', () => {
  it('has /usr/bin/python3 with python3-jira, python3-requests-oauthlib and python3-requests-toolbelt', () => {
    if (required) expect(available, 'install python3-jira and python3-requests-oauthlib (apt)').toBe(true);
  });

  describe.runIf(available || required)('against a Server flavour with seeded data', () => {
    const keys = rsaKeyPair();
    const wrong = rsaKeyPair();
    let sim: JiraSim;
    beforeAll(async () => {
      sim = await createJiraSim({ flavor: 'server', contextPath: '/jira', seedIssues: 30 });
      await createLink(sim, 'python-jira-data', keys.publicKeyBody);
    });
    afterAll(() => sim?.close());

    it('projects, versions, create, read, search, transition, comment, attach, link: all succeed', async () => {
      const run = await runPython(
        [SCRIPT],
        JSON.stringify({
          server: sim.url,
          consumer_key: 'python-jira-data',
          private_key: keys.privateKeyPem,
          wrong_private_key: wrong.privateKeyPem,
          approver: ['admin', 'admin'],
          steps: [
            'server_info',
            'myself',
            'projects',
            'project_versions',
            'create_issue',
            'issue',
            'search_issues',
            'transition_issue',
            'add_comment',
            'add_attachment',
            'create_issue_link',
          ],
        }),
      );
      const results = run.stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as StepResult);
      const failed = results.filter((r) => !r.ok);
      expect(failed, `${run.stdout}\n${run.stderr}`).toEqual([]);
      expect(run.code).toBe(0);
      const step = (name: string) => results.find((r) => r.step === name)?.result;
      expect(step('projects')).toEqual({ keys: ['DEMO', 'SIM'] });
      expect(step('project_versions')).toEqual({
        names: ['1.0', '1.1', '2.0'],
        released: [true, true, false],
      });
      expect(step('create_issue')).toEqual({ task: 'DEMO-16', bug: 'DEMO-17', bug_labels: ['python'] });
      expect(step('issue')).toMatchObject({
        key: 'DEMO-16',
        summary: 'Filed by python-jira',
        status: 'To Do',
        issuetype: 'Task',
        reporter: 'admin',
      });
      const search = step('search_issues') as { total: number; keys: string[]; all_count: number };
      expect(search.keys).toContain('DEMO-17');
      expect(search.total).toBe(search.keys.length);
      expect(search.all_count).toBe(17);
      expect(step('transition_issue')).toEqual({
        available: ['In Progress', 'Done'],
        status: 'Done',
        resolution: 'Done',
      });
      expect(step('add_comment')).toMatchObject({ body: 'A comment from python-jira', count: 2 });
      expect(step('add_attachment')).toEqual({
        filename: 'run.log',
        size: 23,
        content: 'python-jira attachment\n',
        on_issue: ['run.log'],
      });
      expect(step('create_issue_link')).toEqual({
        status: 201,
        links: [{ type: 'Blocks', outward: 'DEMO-17' }],
      });
      const wrongKey = results.find((r) => r.step === 'wrong_key')?.result as {
        status: number;
        text: string;
      };
      expect(wrongKey.status).toBe(401);
      expect(wrongKey.text).toContain('oauth_problem=signature_invalid');
    });
  });
});
