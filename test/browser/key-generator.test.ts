import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
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

async function signIn(harness: Harness, path: string) {
  const { page, user } = harness;
  await page.goto(`${harness.baseUrl}${path}`);
  await user.fill(page.getByLabel('Username'), ADMIN_USERNAME);
  await user.fill(page.getByLabel('Password'), ADMIN_PASSWORD);
  await user.click(page.getByRole('button', { name: 'Sign in' }));
}

describe('key generator', () => {
  afterEach((ctx) => closeHarness(h, ctx));

  it(
    'generates a pair: fingerprint shown, paste-ready public key, the three files offered',
    async () => {
      h = await startHarness('key-generator');
      const { page, user } = h;
      await signIn(h, '/admin/keys');
      await page.getByRole('heading', { name: 'Key generator', level: 1 }).waitFor();
      expect(await page.getByRole('radio', { name: /2048 bits/ }).isChecked()).toBe(true);
      await h.step('key generator');

      await user.check(page.getByRole('radio', { name: /1024 bits/ }));
      expect(await page.getByText('1024-bit RSA keys are considered weak.').isVisible()).toBe(true);
      await h.step('weak key warning');
      await user.check(page.getByRole('radio', { name: /2048 bits/ }));
      expect(await page.getByText('1024-bit RSA keys are considered weak.').count()).toBe(0);

      await user.click(page.getByRole('button', { name: 'Generate key pair' }));
      const fingerprint = page.getByTestId('fingerprint');
      await fingerprint.waitFor();
      const shown = (await fingerprint.textContent()) ?? '';
      expect(shown).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);

      const body = await page.getByLabel('Public key for Jira').inputValue();
      expect(body).not.toMatch(/BEGIN|END/);
      expect(body).toMatch(/^[A-Za-z0-9+/]+=*$/);
      await h.step('generated');

      await user.click(page.getByRole('button', { name: 'Copy public key' }));
      await page.getByText('Copied to the clipboard.').waitFor();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(body);

      const files: Record<string, string> = {};
      for (const name of ['jira_privatekey.pcks8', 'jira_publickey.pem', 'jira_publickey.cer']) {
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          user.click(page.getByRole('link', { name: `Download ${name}` })),
        ]);
        expect(download.suggestedFilename()).toBe(name);
        files[name] = readFileSync(await download.path(), 'utf8');
      }
      expect(files['jira_privatekey.pcks8']).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      expect(files['jira_publickey.pem']).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
      expect(files['jira_publickey.cer']).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
      // The three files and the pasted body are one key pair.
      const pub = createPublicKey(files['jira_publickey.pem'] ?? '');
      expect(pub.export({ type: 'spki', format: 'der' }).toString('base64')).toBe(body);
      const fromPrivate = createPublicKey(files['jira_privatekey.pcks8'] ?? '');
      expect(fromPrivate.export({ type: 'spki', format: 'der' }).toString('base64')).toBe(body);
      // Nothing private is rendered: the private key is only a download.
      const privateLines = (files['jira_privatekey.pcks8'] ?? '')
        .split('\n')
        .filter((l) => /^[A-Za-z0-9+/]{40,}/.test(l));
      expect(privateLines.length).toBeGreaterThan(5);
      const html = await page.content();
      for (const line of privateLines) expect(html).not.toContain(line);
      const fromCert = createPublicKey(files['jira_publickey.cer'] ?? '');
      expect(fromCert.export({ type: 'spki', format: 'der' }).toString('base64')).toBe(body);
      await h.step('downloaded');

      // Pasting the pair back into the checker: instant validation, same fingerprint, a match.
      await user.fill(page.getByLabel(/^Private key/), files['jira_privatekey.pcks8'] ?? '');
      await user.fill(page.getByLabel(/^Public key \(PEM/), body);
      const result = page.getByTestId('key-check-result');
      await result.getByText('The two keys are one pair.').waitFor();
      expect(await result.textContent()).toContain(shown);
      await h.step('checked pair');

      // A public key pasted as the private key gets the key module's own message and hint.
      await user.fill(page.getByLabel(/^Private key/), files['jira_publickey.pem'] ?? '');
      const alert = result.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toMatch(/public key was pasted where the private key belongs/i);
      await h.step('wrong paste');
      expect(h.problems()).toEqual([]);
    },
    BROWSER_TEST_TIMEOUT,
  );
});
