import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJiraSim, type JiraSim } from '../../jira-sim/src/server.js';
import {
  ADMIN_PASSWORD,
  ADMIN_USERNAME,
  ARTIFACTS,
  BROWSER_TEST_TIMEOUT,
  type Harness,
  startHarness,
} from './harness.js';

/**
 * The whole story of issue 7 in one browser: an admin connects jira-sim (Jira Server) with
 * OAuth 1.0a from sign-in to a passing diagnostics report within 12 actions on
 * Testbridge's pages, maps a project, watches the import reach 100%, and sees a change made
 * in Jira arrive through the webhook. Then the two classic mistakes (wrong keys, wrong
 * base URL) must be explained. One browser for the file; the steps share its pages.
 */

const TESTBRIDGE_BUDGET = 12;
let sim: JiraSim;
let h: Harness;
let failed = false;

describe('Jira connection in the browser (jira-sim, Server flavour)', () => {
  beforeAll(async () => {
    sim = await createJiraSim({ port: 0, flavor: 'server', seedIssues: 40 });
    h = await startHarness('jira-flow');
  }, BROWSER_TEST_TIMEOUT);

  afterAll(async () => {
    await h?.close({ failed });
    await sim?.close();
  });

  it(
    'connects with OAuth 1.0a in at most 12 Testbridge actions, maps a project, imports and follows a webhook',
    async () => {
      try {
        const { page, user, context } = h;
        await page.goto(h.baseUrl);
        await user.fill(page.getByLabel('Username'), ADMIN_USERNAME);
        await user.fill(page.getByLabel('Password'), ADMIN_PASSWORD);
        await user.click(page.getByRole('button', { name: 'Sign in' }));
        await user.click(page.getByRole('link', { name: 'Jira Integration' }));
        await user.click(page.getByRole('link', { name: /Add Jira instance/ }).first());
        await page.getByRole('heading', { name: 'Add a Jira instance', level: 1 }).waitFor();
        await user.fill(page.getByLabel('Jira URL'), sim.url);
        await h.step('wizard filled');
        await user.click(page.getByRole('button', { name: 'Add instance' }));

        // The values for Jira's dialog, each with its copy button.
        await page.getByRole('heading', { name: /Create the application link/ }).waitFor();
        await h.step('application link values');
        const text = async (label: string) => (await page.locator(`#copy-${label}`).textContent()) ?? '';
        const applicationUrl = await text('application-url');
        const consumerKey = await text('consumer-key');
        const consumerName = await text('consumer-name');
        const applicationName = await text('application-name');
        expect(applicationUrl).toBe(h.baseUrl);
        await user.click(page.getByRole('button', { name: 'Copy Public Key' }));
        const publicKey = await page.evaluate(() => navigator.clipboard.readText());
        expect(publicKey).not.toContain('BEGIN');
        expect(publicKey.length).toBeGreaterThan(200);
        expect(await page.content()).not.toContain('PRIVATE KEY');

        // In Jira (another tab): sign in, create the link with those values.
        const jira = await context.newPage();
        await jira.goto(`${sim.url}/plugins/servlet/applinks/listApplicationLinks`);
        await user.fill(jira.locator('#os_username'), 'admin');
        await user.fill(jira.locator('#os_password'), 'admin');
        await user.click(jira.locator('#login-submit'));
        await user.fill(jira.locator('#applicationUrl'), applicationUrl);
        await user.click(jira.locator('#create-link'));
        await user.fill(jira.locator('#name'), applicationName);
        await user.fill(jira.locator('#consumerKey'), consumerKey);
        await user.fill(jira.locator('#consumerName'), consumerName);
        await user.fill(jira.locator('#publicKey'), publicKey);
        await user.click(jira.locator('#continue'));
        await jira.locator('#notice').waitFor();
        await jira.screenshot({
          path: join(ARTIFACTS, 'jira-flow', 'jira-application-link-created.png'),
          fullPage: true,
        });

        // Back in Testbridge: test the link, open Jira's authorize page, Allow.
        await page.bringToFront();
        await user.click(page.getByRole('button', { name: 'Test and authorize' }));
        const open = page.getByRole('link', { name: 'Open Jira to authorize' });
        await open.waitFor();
        await h.step('link accepted, authorize');
        const [authorizeTab] = await Promise.all([context.waitForEvent('page'), user.click(open)]);
        await authorizeTab.locator('#approve').waitFor();
        await user.click(authorizeTab.locator('#approve'));
        // The callback completes in that tab and lands on the instance page.
        await authorizeTab.waitForURL(/\/admin\/jira\/instances\/.+authorized=1/);
        await authorizeTab.close();

        // This tab noticed by itself (polling) and shows the diagnostics.
        await page.getByText('Diagnostics passed.').waitFor({ timeout: 30_000 });
        await h.step('diagnostics passed');
        const counts = h.actions();
        console.log(
          `OAuth 1.0a connection: ${counts.testbridge} actions on Testbridge's pages, ${counts.other} on Jira's pages`,
        );
        expect(counts.testbridge).toBeLessThanOrEqual(TESTBRIDGE_BUDGET);
        expect(await page.locator('.check .badge-bad').count()).toBe(0);

        // Map the DEMO project and watch the import finish.
        await user.click(page.getByRole('button', { name: 'Map a Jira project' }));
        const dialog = page.getByRole('dialog', { name: 'Map a Jira project' });
        await user.fill(dialog.getByLabel('Search Jira projects'), 'DEMO');
        await user.check(dialog.getByRole('radio', { name: /DEMO/ }));
        await h.step('mapping dialog');
        await user.click(dialog.getByRole('button', { name: 'Map project' }));
        await dialog.waitFor({ state: 'hidden', timeout: 30_000 });
        const bar = page.getByRole('progressbar', { name: 'Import of DEMO' });
        await bar.waitFor();
        await expect.poll(() => bar.getAttribute('value'), { timeout: 60_000 }).toBe('100');
        await h.step('import done');

        // A change in Jira arrives through the webhook on the project's requirements.
        await user.click(page.getByRole('link', { name: 'DEMO', exact: true }));
        await page.getByRole('heading', { name: /^Requirements/ }).waitFor();
        const table = page.getByRole('table', { name: 'Requirements' });
        await table.waitFor();
        const key = ((await table.locator('tbody th').first().textContent()) ?? '').trim();
        const summary = `Changed in Jira at ${Date.now()}`;
        const res = await fetch(`${sim.url}/rest/api/2/issue/${key}`, {
          method: 'PUT',
          headers: {
            authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ fields: { summary } }),
        });
        expect(res.status).toBe(204);
        await table.getByText(summary).waitFor({ timeout: 30_000 });
        await h.step('webhook update shown');
        expect(h.problems()).toEqual([]);
      } catch (err) {
        failed = true;
        throw err;
      }
    },
    BROWSER_TEST_TIMEOUT,
  );

  it(
    'explains a pasted key that is not a key, wrong keys and a wrong base URL',
    async () => {
      try {
        const { page, user } = h;
        await page.goto(`${h.baseUrl}/admin/jira/new`);
        await user.fill(page.getByLabel('Jira URL'), sim.url);
        await user.check(page.getByRole('radio', { name: 'Use my own private key' }));
        await user.fill(page.getByLabel('Private key (PEM)'), 'not a key at all');
        await page.locator('#private-key-state [role="alert"]').waitFor();
        await h.step('pasted key refused');
        await user.check(page.getByRole('radio', { name: /Generate the RSA key pair/ }));

        // Wrong keys: the consumer key Jira knows, but a new key pair it has never seen.
        await user.fill(page.getByLabel('Name (optional)'), 'Wrong keys');
        await user.click(page.getByRole('button', { name: 'Add instance' }));
        await user.click(page.getByRole('button', { name: 'Test and authorize' }));
        const keysError = page.getByRole('alert');
        await keysError.waitFor();
        expect(await keysError.textContent()).toMatch(/key/i);
        await h.step('wrong keys explained');

        // Wrong base URL: Jira signs with its own idea of its address.
        await page.goto(`${h.baseUrl}/admin/jira/new`);
        await user.fill(page.getByLabel('Jira URL'), sim.url);
        await user.fill(page.getByLabel('Name (optional)'), 'Wrong base URL');
        await page.getByText('Jira behind a proxy').click();
        await user.fill(page.getByLabel(/Jira base URL/), 'http://jira.example.invalid');
        await user.click(page.getByRole('button', { name: 'Add instance' }));
        await user.click(page.getByRole('button', { name: 'Test and authorize' }));
        const urlError = page.getByRole('alert');
        await urlError.waitFor();
        expect(await urlError.textContent()).toMatch(/base URL/i);
        await h.step('wrong base url explained');
      } catch (err) {
        failed = true;
        throw err;
      }
    },
    BROWSER_TEST_TIMEOUT,
  );

  it(
    'connects with a personal access token and shows the diagnostics straight away, never the token',
    async () => {
      try {
        const { page, user } = h;
        const res = await fetch(`${sim.url}/rest/sim/1.0/pats`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ user: 'admin', name: 'Testbridge' }),
        });
        const { rawToken } = (await res.json()) as { rawToken: string };
        await page.goto(`${h.baseUrl}/admin/jira/new`);
        await user.fill(page.getByLabel('Jira URL'), sim.url);
        await user.fill(page.getByLabel('Name (optional)'), 'With a token');
        await user.check(page.getByRole('radio', { name: /Personal access token/ }));
        await user.fill(page.getByLabel('Personal access token', { exact: true }), rawToken);
        await user.click(page.getByRole('button', { name: 'Add instance' }));
        await page.getByText('Diagnostics passed.').waitFor();
        await h.step('pat connected');
        expect(await page.content()).not.toContain(rawToken);

        // Manual webhook mode shows exactly what to enter in Jira, each with a copy button.
        await user.click(page.getByRole('button', { name: 'Map a Jira project' }));
        const dialog = page.getByRole('dialog', { name: 'Map a Jira project' });
        await user.check(dialog.getByRole('radio', { name: /SIM/ }));
        await user.check(dialog.getByRole('radio', { name: /I create it in Jira myself/ }));
        await user.click(dialog.getByRole('button', { name: 'Map project' }));
        await dialog.waitFor({ state: 'hidden', timeout: 30_000 });
        const url = page.locator('#copy-webhook-url');
        await url.waitFor();
        expect(await url.textContent()).toMatch(new RegExp(`^${h.baseUrl}/webhooks/jira/`));
        await page.getByRole('button', { name: 'Copy Webhook URL' }).waitFor();
        await h.step('manual webhook values');

        // The list links every instance to its page.
        await page.goto(`${h.baseUrl}/admin/jira`);
        await page.getByRole('link', { name: 'With a token' }).waitFor();
        await h.step('instances list');
      } catch (err) {
        failed = true;
        throw err;
      }
    },
    BROWSER_TEST_TIMEOUT,
  );

  it(
    'connects Jira Data Center with OAuth 2.0: client id and secret, Authorize, Accept in Jira',
    async () => {
      const dc = await createJiraSim({ port: 0, flavor: 'dc9' });
      try {
        const { page, user, context } = h;
        const res = await fetch(`${dc.url}/rest/sim/1.0/oauth2/clients`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'Testbridge', redirectUris: [`${h.baseUrl}/oauth/callback`] }),
        });
        const app = (await res.json()) as { clientId: string; clientSecret: string };
        await page.goto(`${h.baseUrl}/admin/jira/new`);
        await user.fill(page.getByLabel('Jira URL'), dc.url);
        await user.fill(page.getByLabel('Name (optional)'), 'Data Center');
        await user.check(page.getByRole('radio', { name: /OAuth 2.0 \(Data Center\)/ }));
        await user.fill(page.getByLabel('Client ID', { exact: true }), app.clientId);
        await user.fill(page.getByLabel('Client secret', { exact: true }), app.clientSecret);
        await user.click(page.getByRole('button', { name: 'Add instance' }));
        await user.click(page.getByRole('button', { name: 'Authorize', exact: true }));
        const open = page.getByRole('link', { name: 'Open Jira to authorize' });
        const [tab] = await Promise.all([context.waitForEvent('page'), user.click(open)]);
        // A fresh Jira: sign in first when it asks, then accept.
        const login = tab.locator('#os_username');
        await Promise.race([login.waitFor(), tab.locator('#approve').waitFor()]);
        if (await login.isVisible()) {
          await user.fill(login, 'admin');
          await user.fill(tab.locator('#os_password'), 'admin');
          await user.click(tab.locator('#login-submit'));
        }
        await user.click(tab.locator('#approve'));
        await tab.waitForURL(/\/admin\/jira\/instances\//);
        await tab.close();
        await page.getByText('Diagnostics passed.').waitFor({ timeout: 30_000 });
        await h.step('oauth2 dc connected');
        expect(await page.content()).not.toContain(app.clientSecret);
      } catch (err) {
        failed = true;
        throw err;
      } finally {
        await dc.close();
      }
    },
    BROWSER_TEST_TIMEOUT,
  );
});
