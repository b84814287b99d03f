#!/usr/bin/env node
// Builds the admin UI (web/ -> web/dist) when it is missing or older than its sources, so
// `npm start` and `npm test` work on a fresh clone and after a `git pull` without a
// separate build step. Run from `prestart`/`pretest` and by the browser-test harness.
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'web');
const builtIndex = join(web, 'dist', 'index.html');
const lock = join(web, '.build-lock');

function newestSourceMtime() {
  let newest = 0;
  const visit = (path) => {
    const st = statSync(path);
    if (st.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
    else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of ['src', 'index.html', 'vite.config.ts']) visit(join(web, p));
  // A dependency upgrade (react, vite) changes the output too.
  visit(join(root, 'package-lock.json'));
  return newest;
}

function isFresh() {
  try {
    return statSync(builtIndex).mtimeMs >= newestSourceMtime();
  } catch {
    return false;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function withLock(fn) {
  // Parallel test workers may all find the build stale; one builds, the others wait.
  for (let waited = 0; ; waited += 200) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (waited > 120_000) rmSync(lock, { recursive: true, force: true }); // left by a killed build
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export async function ensureWebBuilt({ quiet = false } = {}) {
  if (isFresh()) return 'fresh';
  return withLock(async () => {
    if (isFresh()) return 'fresh';
    let vite;
    try {
      vite = await import('vite');
    } catch {
      process.stderr.write(
        'warning: the admin UI is not built and vite is not installed (npm install --omit=dev?).\n' +
          'hint: run `npm install` then `npm run build:web`; the API works without the UI meanwhile.\n',
      );
      return 'missing';
    }
    if (!quiet) process.stderr.write('Building the admin UI (web/ -> web/dist)…\n');
    await vite.build({ configFile: join(web, 'vite.config.ts'), logLevel: quiet ? 'error' : 'warn' });
    return 'built';
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    await ensureWebBuilt({ quiet: process.argv.includes('--quiet') });
  } catch (err) {
    process.stderr.write(
      `error: building the admin UI failed: ${err instanceof Error ? err.message : err}\n`,
    );
    process.stderr.write('hint: run `npm run build:web` to see the full error.\n');
    process.exitCode = 1;
  }
}
