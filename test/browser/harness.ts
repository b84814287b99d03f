import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { startTestbridgeForBrowser } from './server.js';

/**
 * Browser tests drive Debian's chromium (never a downloaded browser) against a real
 * Testbridge started in-process on 127.0.0.1 with a fresh data directory. Every user
 * action goes through this harness so it can be counted per origin (Testbridge vs Jira):
 * the product's promise is to make the seed's ~36 manual steps short, and the counts are
 * how we measure it. Each step leaves a screenshot in test-artifacts/browser/.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'browser');
export const CHROMIUM = process.env.TESTBRIDGE_CHROMIUM ?? '/usr/bin/chromium';
/**
 * Per-test budget: launching chromium alone takes seconds on a 2-core machine that is also
 * running the rest of the suite; this is a ceiling against hangs, not a speed assertion.
 */
export const BROWSER_TEST_TIMEOUT = 180_000;
export const ADMIN_USERNAME = 'admin';
export const ADMIN_PASSWORD = 'correct-horse-battery-staple';

/** The flags the issue asks for: quiet, offline apart from localhost, and reproducible. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

export type ActionKind = 'click' | 'fill' | 'press' | 'type' | 'select' | 'check';
export type ActionRecord = { kind: ActionKind; target: string; origin: string; onTestbridge: boolean };
export type ActionCounts = { testbridge: number; other: number; total: number };

export type Harness = {
  baseUrl: string;
  page: Page;
  context: BrowserContext;
  /** The user's hands: every call is one counted action. */
  user: UserActions;
  /** Saves a numbered screenshot named after the step. */
  step(name: string): Promise<string>;
  actions(): ActionCounts;
  actionLog(): readonly ActionRecord[];
  /** Console errors, uncaught exceptions and blocked off-machine requests seen so far. */
  problems(): readonly string[];
  /** Pass `failed` to keep a last screenshot of what the page showed when the test failed. */
  close(options?: { failed?: boolean }): Promise<void>;
};

export type UserActions = {
  click(target: Locator, label?: string): Promise<void>;
  fill(target: Locator, value: string, label?: string): Promise<void>;
  /** One key press on whatever has the focus (Tab, Enter, …). */
  press(key: string): Promise<void>;
  /** Typing a value into the focused field counts as one action, like a fill. */
  type(text: string, label?: string): Promise<void>;
  check(target: Locator, label?: string): Promise<void>;
};

let builtOnce = false;

/** Builds web/dist if it is missing or stale, exactly as `npm test` does before running. */
export function ensureWebBuilt(): void {
  if (builtOnce) return;
  execFileSync(process.execPath, [join(ROOT, 'bin', 'ensure-web.mjs'), '--quiet'], { stdio: 'inherit' });
  builtOnce = true;
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 60) || 'step'
  );
}

function isLocal(url: string): boolean {
  try {
    const { hostname, protocol } = new URL(url);
    if (protocol === 'data:' || protocol === 'blob:' || protocol === 'about:') return true;
    return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
  } catch {
    return true;
  }
}

/** For afterEach: `afterEach((ctx) => closeHarness(h, ctx))` keeps a screenshot of a failure. */
export async function closeHarness(
  harness: Harness | undefined,
  ctx: { task: { result?: { state?: string } } },
): Promise<void> {
  await harness?.close({ failed: ctx.task.result?.state === 'fail' });
}

export async function startHarness(name: string): Promise<Harness> {
  ensureWebBuilt();
  const server = await startTestbridgeForBrowser({ adminPassword: ADMIN_PASSWORD });
  const baseUrl = server.url;
  const testbridgeOrigin = new URL(baseUrl).origin;

  const shots = join(ARTIFACTS, slug(name));
  rmSync(shots, { recursive: true, force: true });
  mkdirSync(shots, { recursive: true });

  const profile = mkdtempSync(join(tmpdir(), 'testbridge-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
      acceptDownloads: true,
      locale: 'en-US',
      timezoneId: 'UTC',
    });
  } catch (err) {
    await server.stop();
    rmSync(profile, { recursive: true, force: true });
    throw new Error(
      `Could not start chromium at ${CHROMIUM}: ${err instanceof Error ? err.message : String(err)}\n` +
        'Install it with `apt-get install chromium` (CI does this in .ci/run).',
    );
  }
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: testbridgeOrigin });

  const problems: string[] = [];
  // Tests may only ever talk to this machine; anything else is a bug worth seeing.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLocal(url)) return route.continue();
    problems.push(`blocked off-machine request: ${url}`);
    return route.abort('blockedbyclient');
  });

  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  page.on('console', (msg) => {
    // Chromium logs every 4xx answer; the UI expects those (401 before sign-in) and shows them.
    if (msg.type() === 'error' && !/^Failed to load resource: the server responded/.test(msg.text())) {
      problems.push(`console error: ${msg.text()}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));

  const log: ActionRecord[] = [];
  // Counted against the page the action happens on: Jira's tabs count as Jira's.
  const record = (kind: ActionKind, target: string, on: Page = page) => {
    const origin = (() => {
      try {
        return new URL(on.url()).origin;
      } catch {
        return 'about:blank';
      }
    })();
    log.push({ kind, target, origin, onTestbridge: origin === testbridgeOrigin });
  };
  const describe = (target: Locator, label?: string) => label ?? target.toString();

  const user: UserActions = {
    async click(target, label) {
      record('click', describe(target, label), target.page());
      await target.click();
    },
    async fill(target, value, label) {
      record('fill', describe(target, label), target.page());
      await target.fill(value);
    },
    async press(key) {
      record('press', key);
      await page.keyboard.press(key);
    },
    async type(text, label) {
      record('type', label ?? 'focused field');
      await page.keyboard.type(text);
    },
    async check(target, label) {
      record('check', describe(target, label), target.page());
      await target.check();
    },
  };

  let stepNo = 0;
  let closed = false;
  const harness: Harness = {
    baseUrl,
    page,
    context,
    user,
    async step(stepName) {
      stepNo++;
      const file = join(shots, `${String(stepNo).padStart(2, '0')}-${slug(stepName)}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    actions() {
      const testbridge = log.filter((a) => a.onTestbridge).length;
      return { testbridge, other: log.length - testbridge, total: log.length };
    },
    actionLog: () => log,
    problems: () => problems,
    async close(options = {}) {
      if (closed) return;
      closed = true;
      if (options.failed) {
        await harness.step('failed').catch(() => {});
        writeFileSync(join(shots, 'server.log'), server.logs.join(''));
      }
      const counts = harness.actions();
      // The number the product is judged by: how many things a person had to do, and where.
      process.stdout.write(
        `[browser] ${name}: ${counts.testbridge} user actions on Testbridge, ${counts.other} elsewhere; ` +
          `screenshots in ${shots}\n`,
      );
      writeFileSync(
        join(shots, 'actions.json'),
        `${JSON.stringify({ counts: harness.actions(), actions: log, problems }, null, 2)}\n`,
      );
      await context.close().catch(() => {});
      await server.stop();
      rmSync(profile, { recursive: true, force: true });
    },
  };
  return harness;
}
