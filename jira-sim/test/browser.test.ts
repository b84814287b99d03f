import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JiraSim, createJiraSim } from '../src/server.js';
import { createLink, oauthFetch, parseForm, rsaKeyPair } from './helpers.js';

/**
 * The pages a person sees in the seed's procedure, in Debian's chromium: create the
 * application link, sign in on the authorize page, Allow, copy the verification code.
 */
const CHROMIUM = process.env.TESTBRIDGE_CHROMIUM ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const required = process.env.TESTBRIDGE_REQUIRE_ALL === '1';

describe('jira-sim pages in a browser', () => {
  it('has chromium', () => {
    if (required) expect(available, `install chromium at ${CHROMIUM} (apt install chromium)`).toBe(true);
  });

  describe.runIf(available || required)('with chromium', () => {
    const keys = rsaKeyPair();
    let sim: JiraSim;
    let browser: Browser;
    beforeAll(async () => {
      sim = await createJiraSim({ flavor: 'server', contextPath: '/jira' });
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
      });
    }, 120_000);
    afterAll(async () => {
      await browser?.close();
      await sim?.close();
    });

    it('creates an application link through the pages', { timeout: 120_000 }, async () => {
      const page = await browser.newPage();
      try {
        await page.goto(`${sim.url}/plugins/servlet/applinks/listApplicationLinks`);
        await page.fill('#os_username', 'admin');
        await page.fill('#os_password', 'admin');
        await page.click('#login-submit');
        await page.waitForURL(/listApplicationLinks/);
        await page.fill('#applicationUrl', 'https://zephyr.example.com/flex');
        await page.click('#create-link');
        await page.fill('#name', 'Zephyr Ent');
        await page.fill('#consumerKey', 'Zephyr Ent');
        await page.fill('#consumerName', 'Zephyr Ent');
        await page.fill('#publicKey', keys.publicKeyBody);
        await page.click('#continue');
        await expect.poll(() => page.locator('#notice').textContent()).toContain("'Zephyr Ent' created");
        expect(await page.locator('tr[data-consumer-key="Zephyr Ent"]').count()).toBe(1);
      } finally {
        await page.close();
      }
    });

    it('signs in on the authorize page, allows, and shows the verification code', {
      timeout: 120_000,
    }, async () => {
      await createLink(sim, 'browser', keys.publicKeyBody);
      const requestToken = await oauthFetch('POST', `${sim.url}/plugins/servlet/oauth/request-token`, {
        consumerKey: 'browser',
        privateKeyPem: keys.privateKeyPem,
        oauth: { oauth_callback: 'oob' },
      });
      const { oauth_token: token } = parseForm(await requestToken.text());
      const page = await browser.newPage();
      try {
        await page.goto(
          `${sim.url}/plugins/servlet/oauth/authorize?oauth_token=${encodeURIComponent(token!)}`,
        );
        await page.fill('#os_username', 'developer');
        await page.fill('#os_password', 'developer');
        await page.click('#login-submit');
        await page.click('#approve');
        const text = await page.locator('#oauth-approved').textContent();
        const verifier = /verification code is '([A-Za-z0-9]+)'/.exec(text ?? '')?.[1];
        expect(verifier).toBeDefined();
        const access = await oauthFetch('POST', `${sim.url}/plugins/servlet/oauth/access-token`, {
          consumerKey: 'browser',
          privateKeyPem: keys.privateKeyPem,
          token: token!,
          oauth: { oauth_verifier: verifier! },
        });
        expect(access.status).toBe(200);
        const accessToken = parseForm(await access.text()).oauth_token!;
        const me = await oauthFetch('GET', `${sim.url}/rest/api/2/myself`, {
          consumerKey: 'browser',
          privateKeyPem: keys.privateKeyPem,
          token: accessToken,
        });
        expect(((await me.json()) as { name: string }).name).toBe('developer');
      } finally {
        await page.close();
      }
    });
  });
});
