/**
 * Shared by the connection integration tests: a Testbridge app (in-process, signed-in admin)
 * on a store of the given dialect, jira-sim's admin API, and the administrator's browser
 * (approve in Jira, follow the redirect back to Testbridge's callback).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createJiraSim, type JiraSim, type JiraSimOptions } from '../../jira-sim/src/server.js';
import { createTestApp, type TestApp, type TestClient } from '../../src/server/testing.js';
import type { Dialect } from '../../src/store/store.js';
import { createTestStore, type TestStore } from '../../src/store/testing.js';

export type Harness = TestApp & { testStore: TestStore };

export async function createHarness(dialect: Dialect): Promise<Harness> {
  const testStore = await createTestStore(dialect);
  const app = await createTestApp({ store: testStore });
  const closeApp = app.close.bind(app);
  return Object.assign(app, {
    testStore,
    async close() {
      await closeApp();
      await testStore.cleanup();
    },
  });
}

export async function startSim(options: JiraSimOptions): Promise<JiraSim> {
  return createJiraSim({ port: 0, ...options });
}

export async function simJson<T = unknown>(
  sim: JiraSim,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${sim.url}/rest/sim/1.0${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`jira-sim admin ${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

export type SimUserInfo = { name: string; password: string; emailAddress: string; apiToken?: string };

export async function simUsers(sim: JiraSim): Promise<SimUserInfo[]> {
  return (await simJson<{ users: SimUserInfo[] }>(sim, 'GET', '/info')).users;
}

/** The browser reaches Jira at its base URL; in tests that is the simulator's listen URL. */
export const toListenUrl = (sim: JiraSim, url: string) =>
  url.startsWith(sim.baseUrl) ? `${sim.url}${url.slice(sim.baseUrl.length)}` : url;

/** Plays the administrator on Jira's OAuth 1.0a authorize page; returns where Jira redirects (or the page). */
export async function approveOAuth1(
  sim: JiraSim,
  authorizationUrl: string,
  choice: 'approve' | 'deny' = 'approve',
): Promise<{ location: string | null; html: string }> {
  const url = new URL(toListenUrl(sim, authorizationUrl));
  const form = new URLSearchParams({
    oauth_token: url.searchParams.get('oauth_token') ?? '',
    os_username: 'admin',
    os_password: 'admin',
  });
  form.set(choice, choice === 'approve' ? 'Allow' : 'Deny');
  const res = await fetch(`${url.origin}${url.pathname}`, { method: 'POST', body: form, redirect: 'manual' });
  return { location: res.headers.get('location'), html: await res.text() };
}

/** Plays the administrator on an OAuth 2.0 consent page; returns the callback URL Jira redirects to. */
export async function approveOAuth2(
  sim: JiraSim,
  authorizationUrl: string,
  choice: 'approve' | 'deny' = 'approve',
) {
  const url = new URL(toListenUrl(sim, authorizationUrl));
  const form = new URLSearchParams(url.searchParams);
  form.set('os_username', 'admin');
  form.set('os_password', 'admin');
  form.set(choice, choice === 'approve' ? 'Accept' : 'Cancel');
  const res = await fetch(`${url.origin}${url.pathname}`, { method: 'POST', body: form, redirect: 'manual' });
  const location = res.headers.get('location');
  if (res.status !== 302 || !location)
    throw new Error(`consent did not redirect: ${res.status} ${await res.text()}`);
  return location;
}

/** Follows Jira's redirect into Testbridge's callback, as the browser would (with its cookie). */
export async function followCallback(client: TestClient, location: string): Promise<Response> {
  const url = new URL(location);
  return client.request(`${url.pathname}${url.search}`);
}

export const uniqueName = (prefix: string) => `${prefix} ${randomBytes(3).toString('hex')}`;

type ErrorJson = { error: { code: string; message: string; hint?: string } };
export type InstanceJson = {
  id: string;
  name: string;
  status: string;
  statusMessage: string | null;
  setupStep: string;
  authorized: boolean;
  actingUser: string | null;
  auth: Record<string, unknown>;
  deployment: { cloud: boolean; deploymentType: string; major: number } | null;
  next: { step: string; action: string };
  lastDiagnostics: { ok: boolean; summary: string } | null;
};
export type CheckJson = {
  id: string;
  status: string;
  message: string;
  hint?: string;
  ms: number;
  details?: Record<string, unknown>;
};
export type ReportJson = { ok: boolean; summary: string; checks: CheckJson[] };

export const check = (report: ReportJson, id: string): CheckJson => {
  const found = report.checks.find((c) => c.id === id);
  if (!found) throw new Error(`no ${id} check in ${JSON.stringify(report.checks.map((c) => c.id))}`);
  return found;
};

export function expectError(result: { status: number; body: unknown }): ErrorJson['error'] {
  const body = result.body as ErrorJson;
  if (!body?.error)
    throw new Error(`expected an error body, got ${result.status} ${JSON.stringify(result.body)}`);
  return body.error;
}

/** Every stored byte Testbridge wrote: the SQLite file and its WAL, or the PostgreSQL rows. */
export async function storedText(h: Harness): Promise<string> {
  if (h.testStore.dialect === 'sqlite') {
    const parts = [h.testStore.location, `${h.testStore.location}-wal`].map((p) => {
      try {
        return readFileSync(p).toString('latin1');
      } catch {
        return '';
      }
    });
    return parts.join('\n');
  }
  const tables = ['jira_instances', 'jira_authorizations', 'settings'] as const;
  const rows: unknown[] = [];
  for (const t of tables) rows.push(await h.store.db.selectFrom(t).selectAll().execute());
  return JSON.stringify(rows);
}
