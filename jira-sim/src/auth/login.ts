import type { Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { SimEnv, SimUser } from '../context.js';
import type { Core } from '../core.js';
import { NOT_AUTHENTICATED, escapeHtml, jiraError, page, readForm, readJsonObject } from '../http.js';
import { SESSION_COOKIE } from './sessions.js';

export const LOGIN_FAILED = 'Sorry, your username and password are incorrect - please try again.';

/** Browser sign-in takes the username (or email) and the account password on every flavour. */
export function checkPassword(core: Core, login: string, password: string): SimUser | undefined {
  const user = core.ctx.findUser(login.trim());
  return user?.active && user.password === password ? user : undefined;
}

export function openSession(c: Context, core: Core, user: SimUser): string {
  // Signing in through the page is how a person clears Jira's CAPTCHA lock.
  core.failedLogins.clear(user.name);
  const id = core.sessions.open(user.name);
  setCookie(c, SESSION_COOKIE, id, { path: core.ctx.contextPath || '/', httpOnly: true, sameSite: 'Lax' });
  return id;
}

/** The sign-in fields; `hidden` carries what the page needs back (e.g. oauth_token). */
export function signInForm(action: string, hidden: Record<string, string>, error?: string): string {
  const fields = Object.entries(hidden)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  return `${error ? `<p class="error" id="login-error">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${escapeHtml(action)}" id="login-form">
${fields}
<label for="os_username">Username</label><input type="text" id="os_username" name="os_username" autocomplete="username">
<label for="os_password">Password</label><input type="password" id="os_password" name="os_password" autocomplete="current-password">
<p><button type="submit" id="login-submit" name="login" value="Log In">Log In</button></p>
</form>`;
}

/** Only same-site paths, so the sign-in page cannot be used to bounce people elsewhere. */
function safeDestination(core: Core, destination: string | undefined): string {
  const home = `${core.ctx.contextPath}/secure/Dashboard.jspa`;
  if (!destination?.startsWith('/') || destination.startsWith('//')) return home;
  return destination;
}

export function registerLogin(app: Hono<SimEnv>, core: Core): void {
  const base = core.ctx.contextPath;
  app.get('/login.jsp', (c) => {
    const destination = c.req.query('os_destination') ?? '';
    return c.html(page('Log in', signInForm(`${base}/login.jsp`, { os_destination: destination })));
  });
  app.post('/login.jsp', async (c) => {
    const form = await readForm(c);
    const user = checkPassword(core, form.os_username ?? '', form.os_password ?? '');
    if (!user) {
      c.header('X-Seraph-LoginReason', 'AUTHENTICATED_FAILED');
      return c.html(
        page(
          'Log in',
          signInForm(`${base}/login.jsp`, { os_destination: form.os_destination ?? '' }, LOGIN_FAILED),
        ),
        401,
      );
    }
    openSession(c, core, user);
    return c.redirect(safeDestination(core, form.os_destination), 302);
  });
  app.get('/secure/Dashboard.jspa', (c) => {
    const user = c.get('user');
    return c.html(
      page(
        'System Dashboard',
        user
          ? `<p>Signed in as ${escapeHtml(user.displayName)} (${escapeHtml(user.name)}).</p>`
          : '<p>Not signed in.</p>',
      ),
    );
  });
  app.get('/logout', (c) => {
    const id = getCookie(c, SESSION_COOKIE);
    if (id) core.sessions.close(id);
    deleteCookie(c, SESSION_COOKIE, { path: base || '/' });
    return c.html(page('Logged out', '<p>You are now logged out.</p>'));
  });

  // Jira's cookie-based REST sign-in (python-jira's `auth=` option uses it).
  app.post('/rest/auth/1/session', async (c) => {
    const body = await readJsonObject(c);
    const username = typeof body?.username === 'string' ? body.username : '';
    const password = typeof body?.password === 'string' ? body.password : '';
    const user = checkPassword(core, username, password);
    if (!user) {
      c.header('X-Seraph-LoginReason', 'AUTHENTICATED_FAILED');
      return jiraError(c, 401, ['Login failed']);
    }
    const id = openSession(c, core, user);
    return c.json({
      session: { name: SESSION_COOKIE, value: id },
      loginInfo: {
        failedLoginCount: 0,
        loginCount: 1,
        previousLoginTime: new Date(core.ctx.clock.now()).toISOString(),
      },
    });
  });
  app.get('/rest/auth/1/session', (c) => {
    const user = c.get('user');
    if (!user) return jiraError(c, 401, [NOT_AUTHENTICATED]);
    return c.json({
      self: `${core.ctx.baseUrl}/rest/api/latest/user?username=${encodeURIComponent(user.name)}`,
      name: user.name,
      loginInfo: { failedLoginCount: 0, loginCount: 1 },
    });
  });
  app.delete('/rest/auth/1/session', (c) => {
    const id = getCookie(c, SESSION_COOKIE);
    if (!id || !core.sessions.userName(id)) return jiraError(c, 401, [NOT_AUTHENTICATED]);
    core.sessions.close(id);
    deleteCookie(c, SESSION_COOKIE, { path: base || '/' });
    return c.body(null, 204);
  });
}
