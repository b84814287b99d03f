import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JiraSim, createJiraSim } from '../src/server.js';
import { createLink, PYTHON, rsaKeyPair, runPython } from './helpers.js';

const SCRIPT = fileURLToPath(new URL('./python_jira_client.py', import.meta.url));

type StepResult = { step: string; ok: boolean; result?: Record<string, unknown>; error?: string };

/** Whether Debian's python3-jira and python3-requests-oauthlib are there; CI must have them. */
async function pythonJiraAvailable(): Promise<boolean> {
  if (!existsSync(PYTHON)) return false;
  const probe = await runPython(['-c', 'import jira, requests_oauthlib, oauthlib']);
  return probe.code === 0;
}

const available = await pythonJiraAvailable();
const required = process.env.TESTBRIDGE_REQUIRE_ALL === '1';

describe('python3-jira against jira-sim (OAuth 1.0a, RSA-SHA1)', () => {
  it('has /usr/bin/python3 with python3-jira and python3-requests-oauthlib', () => {
    // Without the packages this test cannot run; with TESTBRIDGE_REQUIRE_ALL=1 that is a failure.
    if (required) expect(available, 'install python3-jira and python3-requests-oauthlib (apt)').toBe(true);
  });

  describe.runIf(available || required)('the OAuth dance and API calls', () => {
    const keys = rsaKeyPair();
    const wrong = rsaKeyPair();
    let sim: JiraSim;
    beforeAll(async () => {
      sim = await createJiraSim({ flavor: 'server', contextPath: '/jira' });
      await createLink(sim, 'python-jira', keys.publicKeyBody);
    });
    afterAll(() => sim?.close());

    it('runs the dance, calls the API with checked signatures, and gets signature_invalid with a wrong key', async () => {
      const run = await runPython(
        [SCRIPT],
        JSON.stringify({
          server: sim.url,
          consumer_key: 'python-jira',
          private_key: keys.privateKeyPem,
          wrong_private_key: wrong.privateKeyPem,
          approver: ['admin', 'admin'],
          steps: ['server_info', 'myself'],
        }),
      );
      const results = run.stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as StepResult);
      const byStep = new Map(results.map((result) => [result.step, result]));
      const failed = results.filter((result) => !result.ok);
      expect(failed, `${run.stdout}\n${run.stderr}`).toEqual([]);
      expect(run.code).toBe(0);
      expect(byStep.get('oauth_dance')?.result).toEqual({
        oauth_expires_in: '157680000',
        oauth_authorization_expires_in: '157680000',
        has_session_handle: true,
      });
      expect(byStep.get('server_info')?.result).toMatchObject({
        deploymentType: 'Server',
        baseUrl: sim.baseUrl,
      });
      expect(byStep.get('myself')?.result).toMatchObject({ name: 'admin', key: 'admin' });
      const wrongKey = byStep.get('wrong_key')?.result as { status: number; text: string };
      expect(wrongKey.status).toBe(401);
      expect(wrongKey.text).toContain('oauth_problem=signature_invalid');
      // Every API call above was OAuth-signed: the simulator issued exactly one access token.
      const tokens = (await (await fetch(`${sim.url}/rest/sim/1.0/oauth/tokens`)).json()) as {
        consumerKey: string;
      }[];
      expect(tokens.filter((token) => token.consumerKey === 'python-jira')).toHaveLength(1);
    });

    it('fails the dance with signature_invalid when Jira sits behind a proxy with another base URL', async () => {
      const proxied = await createJiraSim({
        flavor: 'dc9',
        baseUrl: 'https://jira.example.com/jira',
        contextPath: '/jira',
      });
      try {
        await createLink(proxied, 'python-jira', keys.publicKeyBody);
        const run = await runPython(
          [SCRIPT],
          JSON.stringify({
            server: proxied.url,
            consumer_key: 'python-jira',
            private_key: keys.privateKeyPem,
          }),
        );
        const dance = JSON.parse(run.stdout.split('\n')[0] ?? '{}') as StepResult;
        expect(dance.step).toBe('oauth_dance');
        expect(dance.ok).toBe(false);
        expect(dance.error).toContain('oauth_problem=signature_invalid');
        expect(dance.error).toContain('https%253A%252F%252Fjira.example.com%252Fjira');
        expect(run.code).toBe(1);
      } finally {
        await proxied.close();
      }
    });
  });
});
