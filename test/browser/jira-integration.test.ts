import { afterEach, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  ADMIN_USERNAME,
  BROWSER_TEST_TIMEOUT,
  closeHarness,
  type Harness,
  startHarness,
} from './harness.js';

let h: Harness;

/**
 * The instances API arrives with the connections feature; until then the page must say so
 * plainly. The list's empty and filled states are checked with scripted answers so the
 * page is ready when the API lands.
 */
describe('Jira Integration page', () => {
  afterEach((ctx) => closeHarness(h, ctx));

  it(
    'shows the empty state, the list, errors and a missing API, and offers "+"',
    async () => {
      h = await startHarness('jira-integration');
      const { page, user } = h;
      await page.goto(`${h.baseUrl}/admin/jira`);
      await user.fill(page.getByLabel('Username'), ADMIN_USERNAME);
      await user.fill(page.getByLabel('Password'), ADMIN_PASSWORD);
      await user.click(page.getByRole('button', { name: 'Sign in' }));
      await page.getByRole('heading', { name: 'Jira Integration', level: 1 }).waitFor();

      // The real API on a fresh server: no instance yet.
      await page.getByRole('heading', { name: 'No Jira instance yet' }).waitFor();
      // Two ways in: the page action and the empty state's own button.
      expect(await page.getByRole('link', { name: /Add Jira instance/ }).count()).toBe(2);
      await h.step('empty state');

      // A server without the instances API (an older version behind the same UI) is explained.
      let answer: { status: number; body: unknown } = {
        status: 404,
        body: { error: { code: 'not_found', message: 'No route for GET /api/jira/instances.' } },
      };
      await page.route('**/api/jira/instances', (route) =>
        route.fulfill({
          status: answer.status,
          contentType: 'application/json',
          body: JSON.stringify(answer.body),
        }),
      );
      await page.reload();
      await page.getByRole('heading', { name: /not available on this server yet/ }).waitFor();
      await h.step('instances api missing');

      // A server error is shown as message + hint with a way to retry.
      answer = {
        status: 500,
        body: { error: { code: 'internal_error', message: 'Testbridge failed.', hint: 'Retry later.' } },
      };
      await page.reload();
      await page.getByRole('alert').getByText('Retry later.').waitFor();
      await h.step('instances api error');

      answer.status = 200;
      answer.body = [
        {
          id: 'j1',
          name: 'Acme Jira',
          baseUrl: 'https://jira.acme.test',
          authMode: 'oauth1',
          status: 'connected',
          lastDiagnostics: { at: '2026-11-28T10:00:00Z', ok: true },
          mappings: 3,
        },
        {
          id: 'j2',
          name: 'Acme Cloud',
          baseUrl: 'https://acme.atlassian.net',
          authMode: 'oauth2-cloud',
          status: 'needs_reauthorization',
          statusMessage: 'Jira refused the refresh token; authorize Testbridge again.',
          lastDiagnostics: null,
          mappings: 0,
        },
      ];
      await page.reload();
      const table = page.getByRole('table', { name: 'Jira instances' });
      await table.waitFor();
      const rows = table.getByRole('row');
      expect(await rows.count()).toBe(3);
      expect(await rows.nth(1).textContent()).toContain('OAuth 1.0a (application link)');
      expect(await rows.nth(2).textContent()).toContain('Not run yet');
      expect(await rows.nth(2).textContent()).toContain('Needs authorization');
      await h.step('instances list');

      await user.click(page.getByRole('link', { name: /Add Jira instance/ }).first());
      await page.getByRole('heading', { name: 'Add a Jira instance', level: 1 }).waitFor();
      await h.step('add instance entry point');
      expect(h.problems()).toEqual([]);
    },
    BROWSER_TEST_TIMEOUT,
  );
});
