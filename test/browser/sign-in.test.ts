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

describe('sign-in', () => {
  afterEach((ctx) => closeHarness(h, ctx));

  it(
    'shows the error for a wrong password and for rate limiting, and lands on the dashboard with the right one',
    async () => {
      h = await startHarness('sign-in');
      const { page, user } = h;
      await page.goto(`${h.baseUrl}/`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await h.step('sign-in page');

      await user.fill(page.getByLabel('Username'), ADMIN_USERNAME);
      await user.fill(page.getByLabel('Password'), 'not-the-password');
      await user.click(page.getByRole('button', { name: 'Sign in' }));
      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toMatch(/password/i);
      // The password box is emptied and focused so the next try starts cleanly.
      expect(await page.getByLabel('Password').inputValue()).toBe('');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('password');
      await h.step('wrong password');

      // Someone guessing at another account: after the server's limit the UI explains the
      // pause and counts it down instead of inviting more attempts.
      for (let i = 0; i < 10; i++) {
        await page.request.post(`${h.baseUrl}/api/session`, {
          data: { username: 'nobody', password: `guess-${i}` },
        });
      }
      await user.fill(page.getByLabel('Username'), 'nobody');
      await user.fill(page.getByLabel('Password'), 'guess-again');
      await user.click(page.getByRole('button', { name: 'Sign in' }));
      await page
        .getByRole('alert')
        .getByText('Too many failed sign-in attempts.', { exact: false })
        .waitFor();
      expect(await page.getByRole('alert').textContent()).toMatch(/Wait \d+ minutes/);
      expect(await page.getByRole('button', { name: /^Sign in \(wait \d+:\d\d\)$/ }).isDisabled()).toBe(true);
      await h.step('rate limited');

      // The pause is per account: the admin can still sign in.
      await user.fill(page.getByLabel('Username'), ADMIN_USERNAME);
      await user.fill(page.getByLabel('Password'), ADMIN_PASSWORD);
      await user.click(page.getByRole('button', { name: 'Sign in' }));
      await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
      expect(await page.getByRole('navigation', { name: 'Main' }).textContent()).toContain(
        'Jira Integration',
      );
      await h.step('dashboard');

      await user.click(page.getByRole('link', { name: 'Projects', exact: true }));
      await page.getByRole('heading', { name: 'No projects yet' }).waitFor();
      await h.step('projects empty');

      // A reload keeps the session and the page (the server falls back to index.html).
      await user.click(page.getByRole('link', { name: 'Jira Integration', exact: true }));
      await page.getByRole('heading', { name: 'Jira Integration', level: 1 }).waitFor();
      await page.reload();
      await page.getByRole('heading', { name: 'Jira Integration', level: 1 }).waitFor();
      await h.step('jira integration after reload');

      // Laptop screens down to 1024 px keep the side navigation; narrower ones fold it above
      // the content. Neither may scroll sideways.
      for (const [width, height] of [
        [1024, 640],
        [800, 700],
      ] as const) {
        await page.setViewportSize({ width, height });
        await h.step(`jira integration at ${width}px`);
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
        expect(await page.getByRole('link', { name: 'Key generator', exact: true }).isVisible()).toBe(true);
      }
      await page.setViewportSize({ width: 1280, height: 800 });

      await user.click(page.getByRole('button', { name: 'Sign out' }));
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await h.step('signed out');

      // A tester is not offered the administration pages, whose APIs refuse them.
      await page.request.post(`${h.baseUrl}/api/session`, {
        data: { username: ADMIN_USERNAME, password: ADMIN_PASSWORD },
      });
      const { csrfToken } = (await (await page.request.get(`${h.baseUrl}/api/session`)).json()) as {
        csrfToken: string;
      };
      const created = await page.request.post(`${h.baseUrl}/api/users`, {
        headers: { 'X-CSRF-Token': csrfToken },
        data: { username: 'tess', role: 'tester', password: 'tester-password-1' },
      });
      expect(created.status()).toBe(201);
      await page.request.delete(`${h.baseUrl}/api/session`, { headers: { 'X-CSRF-Token': csrfToken } });
      await page.reload();
      await user.fill(page.getByLabel('Username'), 'tess');
      await user.fill(page.getByLabel('Password'), 'tester-password-1');
      await user.click(page.getByRole('button', { name: 'Sign in' }));
      // The page left open by the admin is explained, not filled with errors.
      await page.getByRole('heading', { name: 'For administrators only', level: 1 }).waitFor();
      await h.step('tester on an admin page');
      await user.click(page.getByRole('link', { name: 'Dashboard', exact: true }));
      await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
      const nav = (await page.getByRole('navigation', { name: 'Main' }).textContent()) ?? '';
      expect(nav).toContain('Projects');
      expect(nav).not.toMatch(/Administration|Jira Integration|Key generator/i);
      expect(await page.getByRole('alert').count()).toBe(0);
      await h.step('tester dashboard');
      expect(h.problems()).toEqual([]);
    },
    BROWSER_TEST_TIMEOUT,
  );
});
