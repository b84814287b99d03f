import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Flavor } from '../src/context.js';
import { type JiraSim, createJiraSim } from '../src/server.js';
import { ADMIN, basic } from './helpers.js';

type PermissionsBody = { permissions: Record<string, { key: string; id: string; havePermission: boolean }> };

const EXPECTED: Record<Flavor, { deploymentType: string; major: number }> = {
  cloud: { deploymentType: 'Cloud', major: 1001 },
  server: { deploymentType: 'Server', major: 8 },
  dc9: { deploymentType: 'DataCenter', major: 9 },
  dc10: { deploymentType: 'DataCenter', major: 10 },
};

describe.each(Object.keys(EXPECTED) as Flavor[])('serverInfo on %s', (flavor) => {
  let sim: JiraSim;
  beforeAll(async () => {
    sim = await createJiraSim({ flavor, baseUrl: 'https://jira.example.com/jira', contextPath: '/jira' });
  });
  afterAll(() => sim.close());

  it('reports the flavour, the configured base URL and the simulated time', async () => {
    const response = await fetch(`${sim.url}/rest/api/2/serverInfo`);
    expect(response.status).toBe(200);
    const info = (await response.json()) as Record<string, unknown>;
    expect(info.deploymentType).toBe(EXPECTED[flavor].deploymentType);
    expect((info.versionNumbers as number[])[0]).toBe(EXPECTED[flavor].major);
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.baseUrl).toBe('https://jira.example.com/jira');
    expect(typeof info.buildNumber).toBe('number');
    expect(info.scmInfo).toMatch(/^[0-9a-f]{40}$/);
    expect(info.serverTitle).toBe('Jira');
    expect(info.serverTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
  });

  it('serves REST API 3 only on Cloud', async () => {
    const response = await fetch(`${sim.url}/rest/api/3/serverInfo`);
    expect(response.status).toBe(flavor === 'cloud' ? 200 : 404);
  });

  it('serves nothing outside the context path', async () => {
    const url = new URL(sim.url);
    expect((await fetch(`${url.origin}/rest/api/2/serverInfo`)).status).toBe(404);
  });
});

describe('clock', () => {
  it('reports serverTime with the configured offset and moves when told', async () => {
    const sim = await createJiraSim({ clockOffsetMs: 3_600_000 });
    try {
      const serverTime = async () => {
        const info = (await (await fetch(`${sim.url}/rest/api/2/serverInfo`)).json()) as {
          serverTime: string;
        };
        return Date.parse(info.serverTime.replace('+0000', 'Z'));
      };
      expect((await serverTime()) - Date.now()).toBeGreaterThan(3_500_000);
      const moved = await fetch(`${sim.url}/rest/sim/1.0/clock`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ advanceMs: 86_400_000 }),
      });
      expect(moved.status).toBe(200);
      expect(((await moved.json()) as { offsetMs: number }).offsetMs).toBe(90_000_000);
      expect((await serverTime()) - Date.now()).toBeGreaterThan(89_000_000);
      const bad = await fetch(`${sim.url}/rest/sim/1.0/clock`, {
        method: 'POST',
        body: '{"advanceMs":"soon"}',
      });
      expect(bad.status).toBe(400);
    } finally {
      await sim.close();
    }
  });
});

describe('users and authentication on Server', () => {
  let sim: JiraSim;
  beforeAll(async () => {
    sim = await createJiraSim({ flavor: 'server' });
  });
  afterAll(() => sim.close());

  it('answers myself for admin/admin with Server user fields', async () => {
    const response = await fetch(`${sim.url}/rest/api/2/myself`, { headers: ADMIN });
    expect(response.status).toBe(200);
    const me = (await response.json()) as Record<string, unknown>;
    expect(me.name).toBe('admin');
    expect(me.key).toBe('admin');
    expect(me.active).toBe(true);
    expect(me.self).toBe(`${sim.baseUrl}/rest/api/2/user?username=admin`);
    expect(response.headers.get('x-ausername')).toBe('admin');
    expect((await fetch(`${sim.url}/rest/api/2/serverInfo`)).headers.get('x-ausername')).toBe('anonymous');
  });

  it('refuses a wrong password the way Jira does, and anonymous myself with 401', async () => {
    const wrong = await fetch(`${sim.url}/rest/api/2/myself`, { headers: basic('admin', 'nope') });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('x-seraph-loginreason')).toBe('AUTHENTICATED_FAILED');
    expect(((await wrong.json()) as { errorMessages: string[] }).errorMessages.length).toBe(1);
    const byEmail = await fetch(`${sim.url}/rest/api/2/myself`, {
      headers: basic('admin@example.com', 'admin'),
    });
    expect(byEmail.status).toBe(401);
    const upperCase = await fetch(`${sim.url}/rest/api/2/myself`, { headers: basic('ADMIN', 'admin') });
    expect(upperCase.status).toBe(200);
    const anonymous = await fetch(`${sim.url}/rest/api/2/myself`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({
      errorMessages: ['You are not authenticated. Authentication required to perform this operation.'],
      errors: {},
    });
  });

  it('answers mypermissions per user in Jira shape, all permissions without the parameter', async () => {
    const all = (await (
      await fetch(`${sim.url}/rest/api/2/mypermissions`, { headers: basic('tester', 'tester') })
    ).json()) as PermissionsBody;
    expect(all.permissions.BROWSE_PROJECTS).toEqual({
      id: '10',
      key: 'BROWSE_PROJECTS',
      name: 'Browse Projects',
      type: 'PROJECT',
      description: 'Ability to browse projects and the issues within them.',
      havePermission: true,
    });
    expect(all.permissions.EDIT_ISSUES?.havePermission).toBe(false);
    expect(all.permissions.ADMINISTER?.havePermission).toBe(false);
    for (const key of [
      'ASSIGNABLE_USER',
      'ASSIGN_ISSUES',
      'LINK_ISSUES',
      'MOVE_ISSUES',
      'TRANSITION_ISSUES',
    ]) {
      expect(all.permissions[key]?.key).toBe(key);
    }
    const admin = (await (
      await fetch(`${sim.url}/rest/api/2/mypermissions?permissions=ADMINISTER,EDIT_ISSUES`, {
        headers: ADMIN,
      })
    ).json()) as PermissionsBody;
    expect(Object.keys(admin.permissions).sort()).toEqual(['ADMINISTER', 'EDIT_ISSUES']);
    expect(admin.permissions.ADMINISTER?.havePermission).toBe(true);
    const none = (await (
      await fetch(`${sim.url}/rest/api/2/mypermissions?permissions=BROWSE_PROJECTS`, {
        headers: basic('noperms', 'noperms'),
      })
    ).json()) as PermissionsBody;
    expect(none.permissions.BROWSE_PROJECTS?.havePermission).toBe(false);
  });

  it('applies per-project permissions set through the admin API', async () => {
    const update = await fetch(`${sim.url}/rest/sim/1.0/users/tester`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ projectPermissions: { SIM: [] } }),
    });
    expect(update.status).toBe(200);
    const ask = async (project: string) =>
      (
        (await (
          await fetch(
            `${sim.url}/rest/api/2/mypermissions?permissions=BROWSE_PROJECTS&projectKey=${project}`,
            {
              headers: basic('tester', 'tester'),
            },
          )
        ).json()) as PermissionsBody
      ).permissions.BROWSE_PROJECTS?.havePermission;
    expect(await ask('SIM')).toBe(false);
    expect(await ask('DEMO')).toBe(true);
  });

  it('resolves projectId and answers 404 for unknown projects, as Jira does', async () => {
    const project = (await (await fetch(`${sim.url}/rest/api/2/project/SIM`, { headers: ADMIN })).json()) as {
      id: string;
    };
    const byId = await fetch(
      `${sim.url}/rest/api/2/mypermissions?permissions=BROWSE_PROJECTS&projectId=${project.id}`,
      {
        headers: basic('tester', 'tester'),
      },
    );
    expect(byId.status).toBe(200);
    expect(((await byId.json()) as PermissionsBody).permissions.BROWSE_PROJECTS?.havePermission).toBe(false);
    const unknown = await fetch(
      `${sim.url}/rest/api/2/mypermissions?permissions=BROWSE_PROJECTS&projectKey=NOPE`,
      {
        headers: ADMIN,
      },
    );
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      errorMessages: ["No project could be found with key 'NOPE'."],
      errors: {},
    });
  });

  it('rejects unknown permission keys with a Jira error', async () => {
    const response = await fetch(`${sim.url}/rest/api/2/mypermissions?permissions=FLY`, { headers: ADMIN });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errorMessages: string[] }).errorMessages[0]).toContain('FLY');
  });

  it('signs in with the form and keeps the session', async () => {
    const form = await fetch(`${sim.url}/login.jsp`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'os_username=developer&os_password=developer&os_destination=%2Fsomewhere',
      redirect: 'manual',
    });
    expect(form.status).toBe(302);
    expect(form.headers.get('location')).toBe('/somewhere');
    const cookie = form.headers.get('set-cookie')!.split(';')[0]!;
    const me = await fetch(`${sim.url}/rest/api/2/myself`, { headers: { cookie } });
    expect(((await me.json()) as { name: string }).name).toBe('developer');
    const bad = await fetch(`${sim.url}/login.jsp`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'os_username=developer&os_password=wrong',
    });
    expect(bad.status).toBe(401);
    expect(await bad.text()).toContain('incorrect');
  });

  it('signs in through /rest/auth/1/session', async () => {
    const response = await fetch(`${sim.url}/rest/auth/1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'admin' }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { session: { name: string; value: string } };
    expect(body.session.name).toBe('JSESSIONID');
    const me = await fetch(`${sim.url}/rest/auth/1/session`, {
      headers: { cookie: `JSESSIONID=${body.session.value}` },
    });
    expect(((await me.json()) as { name: string }).name).toBe('admin');
  });

  it('accepts personal access tokens from the admin API and from /rest/pat/latest/tokens', async () => {
    const created = await fetch(`${sim.url}/rest/sim/1.0/pats`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'developer', name: 'ci' }),
    });
    expect(created.status).toBe(201);
    const { rawToken } = (await created.json()) as { rawToken: string };
    const me = await fetch(`${sim.url}/rest/api/2/myself`, {
      headers: { authorization: `Bearer ${rawToken}` },
    });
    expect(((await me.json()) as { name: string }).name).toBe('developer');

    const real = await fetch(`${sim.url}/rest/pat/latest/tokens`, {
      method: 'POST',
      headers: { ...ADMIN, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'testbridge', expirationDuration: 90 }),
    });
    expect(real.status).toBe(201);
    const pat = (await real.json()) as { id: number; rawToken: string; expiringAt: string };
    expect(pat.rawToken).toMatch(/^[A-Za-z0-9+/=]{40,}$/);
    expect(pat.expiringAt).toBeDefined();
    const list = (await (
      await fetch(`${sim.url}/rest/pat/latest/tokens`, { headers: ADMIN })
    ).json()) as unknown[];
    expect(JSON.stringify(list)).not.toContain(pat.rawToken);
    const revoked = await fetch(`${sim.url}/rest/pat/latest/tokens/${pat.id}`, {
      method: 'DELETE',
      headers: ADMIN,
    });
    expect(revoked.status).toBe(204);
    const after = await fetch(`${sim.url}/rest/api/2/myself`, {
      headers: { authorization: `Bearer ${pat.rawToken}` },
    });
    expect(after.status).toBe(401);
    const unknown = await fetch(`${sim.url}/rest/api/2/myself`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(unknown.status).toBe(401);
  });

  it('expires a PAT when the simulated clock passes its expiry', async () => {
    const created = await fetch(`${sim.url}/rest/sim/1.0/pats`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'admin', expirationDays: 1 }),
    });
    const { rawToken } = (await created.json()) as { rawToken: string };
    const me = () =>
      fetch(`${sim.url}/rest/api/2/myself`, { headers: { authorization: `Bearer ${rawToken}` } });
    expect((await me()).status).toBe(200);
    sim.ctx.clock.advance(2 * 86_400_000);
    try {
      expect((await me()).status).toBe(401);
    } finally {
      sim.ctx.clock.advance(-2 * 86_400_000);
    }
  });

  it('returns to its starting state on reset', async () => {
    await fetch(`${sim.url}/rest/sim/1.0/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'temp', permissions: ['BROWSE_PROJECTS'] }),
    });
    expect((await fetch(`${sim.url}/rest/api/2/myself`, { headers: basic('temp', 'temp') })).status).toBe(
      200,
    );
    expect((await fetch(`${sim.url}/rest/sim/1.0/reset`, { method: 'POST' })).status).toBe(204);
    expect((await fetch(`${sim.url}/rest/api/2/myself`, { headers: basic('temp', 'temp') })).status).toBe(
      401,
    );
    const tester = (await (
      await fetch(`${sim.url}/rest/api/2/mypermissions?permissions=BROWSE_PROJECTS&projectKey=SIM`, {
        headers: basic('tester', 'tester'),
      })
    ).json()) as PermissionsBody;
    expect(tester.permissions.BROWSE_PROJECTS?.havePermission).toBe(true);
  });

  it('refuses invalid admin input with 400, not 500', async () => {
    const user = await fetch(`${sim.url}/rest/sim/1.0/users`, {
      method: 'POST',
      body: '{"name":"Bad Name!"}',
    });
    expect(user.status).toBe(400);
    const garbage = await fetch(`${sim.url}/rest/sim/1.0/users`, { method: 'POST', body: 'not json' });
    expect(garbage.status).toBe(400);
    expect(
      (await fetch(`${sim.url}/rest/sim/1.0/reset`, { method: 'POST', body: '{"seedIssues":-1}' })).status,
    ).toBe(400);
  });
});

describe('users and authentication on Cloud', () => {
  let sim: JiraSim;
  beforeAll(async () => {
    sim = await createJiraSim({ flavor: 'cloud' });
  });
  afterAll(() => sim.close());

  it('takes email + API token, refuses passwords with the deprecation message, and uses accountId', async () => {
    const admin = sim.ctx.findUser('admin')!;
    const ok = await fetch(`${sim.url}/rest/api/3/myself`, {
      headers: basic(admin.emailAddress, admin.apiToken),
    });
    expect(ok.status).toBe(200);
    const me = (await ok.json()) as Record<string, unknown>;
    expect(me.accountId).toBe(admin.accountId);
    expect(me.name).toBeUndefined();
    expect(me.key).toBeUndefined();
    const password = await fetch(`${sim.url}/rest/api/2/myself`, {
      headers: basic(admin.emailAddress, 'admin'),
    });
    expect(password.status).toBe(401);
    expect(JSON.stringify(await password.json())).toContain(
      'Basic authentication with passwords is deprecated',
    );
    const byName = await fetch(`${sim.url}/rest/api/2/myself`, { headers: basic('admin', admin.apiToken) });
    expect(byName.status).toBe(401);
  });

  it('requires the permissions parameter of mypermissions', async () => {
    const admin = sim.ctx.findUser('admin')!;
    const headers = basic(admin.emailAddress, admin.apiToken);
    const missing = await fetch(`${sim.url}/rest/api/2/mypermissions`, { headers });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { errorMessages: string[] }).errorMessages[0]).toContain('permissions');
    const given = await fetch(`${sim.url}/rest/api/3/mypermissions?permissions=BROWSE_PROJECTS`, { headers });
    expect(given.status).toBe(200);
  });

  it('has no personal access tokens', async () => {
    const response = await fetch(`${sim.url}/rest/pat/latest/tokens`);
    expect(response.status).toBe(404);
    const bearer = await fetch(`${sim.url}/rest/api/2/myself`, {
      headers: { authorization: 'Bearer anything' },
    });
    expect(bearer.status).toBe(401);
  });
});

describe('startup options', () => {
  it('refuses a bad flavour, context path or base URL with a clear error', async () => {
    await expect(createJiraSim({ flavor: 'mainframe' as Flavor })).rejects.toThrow(
      /cloud, server, dc9 or dc10/,
    );
    await expect(createJiraSim({ contextPath: 'jira with spaces' })).rejects.toThrow(/context path/);
    await expect(createJiraSim({ baseUrl: 'ftp://x' })).rejects.toThrow(/http/);
  });

  it('says which port is taken', async () => {
    const first = await createJiraSim();
    try {
      const port = Number(new URL(first.url).port);
      await expect(createJiraSim({ port })).rejects.toThrow(/already in use/);
    } finally {
      await first.close();
    }
  });
});

describe('user lookups', () => {
  it('finds users by username on Server and assignable users by project permission', async () => {
    const sim = await createJiraSim({ flavor: 'server' });
    try {
      const tester = await fetch(`${sim.url}/rest/api/2/user?username=tester`, { headers: ADMIN });
      expect(((await tester.json()) as { key: string }).key).toBe(sim.ctx.findUser('tester')!.key);
      const missing = await fetch(`${sim.url}/rest/api/2/user?username=ghost`, { headers: ADMIN });
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({
        errorMessages: ["The user named 'ghost' does not exist"],
        errors: {},
      });
      const assignable = (await (
        await fetch(`${sim.url}/rest/api/2/user/assignable/search?project=DEMO`, { headers: ADMIN })
      ).json()) as { name: string }[];
      expect(assignable.map((u) => u.name).sort()).toEqual(['admin', 'developer']);
      const byIssue = (await (
        await fetch(`${sim.url}/rest/api/2/user/assignable/search?issueKey=DEMO-1&username=dev`, {
          headers: ADMIN,
        })
      ).json()) as { name: string }[];
      expect(byIssue.map((u) => u.name)).toEqual(['developer']);
      expect(
        (await fetch(`${sim.url}/rest/api/2/user/assignable/search?project=NOPE`, { headers: ADMIN })).status,
      ).toBe(404);
      expect((await fetch(`${sim.url}/rest/api/2/user?username=admin`)).status).toBe(401);
      const all = (await (
        await fetch(`${sim.url}/rest/api/2/permissions`, { headers: ADMIN })
      ).json()) as PermissionsBody;
      expect(all.permissions.TRANSITION_ISSUES).toMatchObject({ key: 'TRANSITION_ISSUES', type: 'PROJECT' });
    } finally {
      await sim.close();
    }
  });

  it('looks users up by accountId only on Cloud (GDPR strict mode)', async () => {
    const sim = await createJiraSim({ flavor: 'cloud' });
    try {
      const admin = sim.ctx.findUser('admin')!;
      const headers = basic(admin.emailAddress, admin.apiToken);
      const byName = await fetch(`${sim.url}/rest/api/3/user?username=admin`, { headers });
      expect(byName.status).toBe(400);
      const byId = await fetch(`${sim.url}/rest/api/3/user?accountId=${admin.accountId}`, { headers });
      expect(((await byId.json()) as { accountId: string }).accountId).toBe(admin.accountId);
      const search = (await (
        await fetch(`${sim.url}/rest/api/3/user/search?query=terry`, { headers })
      ).json()) as {
        accountId: string;
      }[];
      expect(search.map((u) => u.accountId)).toEqual([sim.ctx.findUser('tester')!.accountId]);
    } finally {
      await sim.close();
    }
  });
});
