import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BROWSER_TEST_TIMEOUT, closeHarness, type Harness, startHarness } from './harness.js';

let h: Harness | undefined;
let other: Server | undefined;

/** A stand-in for Jira: another origin on this machine with one button. */
async function startOtherOrigin(): Promise<string> {
  other = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(
      '<!doctype html><title>Jira</title><button onclick="this.textContent=\'Allowed\'">Allow</button>',
    );
  });
  await new Promise<void>((resolve) => other?.listen(0, '127.0.0.1', resolve));
  return `http://localhost:${(other.address() as AddressInfo).port}`;
}

describe('browser harness', () => {
  afterEach(async (ctx) => {
    await closeHarness(h, ctx);
    await new Promise<void>((resolve) => (other ? other.close(() => resolve()) : resolve()));
    other = undefined;
  });

  it(
    'counts user actions per origin and blocks requests that would leave the machine',
    async () => {
      h = await startHarness('harness-self-test');
      const { page, user } = h;
      await page.goto(`${h.baseUrl}/`);
      await user.fill(page.getByLabel('Username'), 'admin');
      await user.press('Tab');
      expect(h.actions()).toEqual({ testbridge: 2, other: 0, total: 2 });

      const jira = await startOtherOrigin();
      await page.goto(jira);
      await user.click(page.getByRole('button', { name: 'Allow' }));
      await page.getByRole('button', { name: 'Allowed' }).waitFor();
      expect(h.actions()).toEqual({ testbridge: 2, other: 1, total: 3 });
      expect(h.actionLog().map((a) => `${a.kind}:${a.onTestbridge}`)).toEqual([
        'fill:true',
        'press:true',
        'click:false',
      ]);

      // Nothing may leave the machine, even when a page asks for it.
      await page.evaluate(() => fetch('https://example.com/').catch(() => undefined));
      expect(
        h.problems().some((p) => p.startsWith('blocked off-machine request: https://example.com/')),
      ).toBe(true);
    },
    BROWSER_TEST_TIMEOUT,
  );
});
