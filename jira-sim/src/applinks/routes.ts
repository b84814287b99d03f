import type { Context, Hono } from 'hono';
import { signInForm } from '../auth/login.js';
import type { SimEnv } from '../context.js';
import type { Core } from '../core.js';
import { escapeHtml, jiraError, page, readForm, readJsonObject } from '../http.js';
import { type ApplicationLinkInput, LinkValidationError, applicationLinkJson } from './store.js';

const PAGES = '/plugins/servlet/applinks';

/**
 * Application links, as the seed's administrator creates them: the web pages (list, create
 * with application URL, name, consumer key and name, public key, "create incoming link") and
 * `/rest/sim/1.0/application-links` for tests.
 */
export function registerApplicationLinks(app: Hono<SimEnv>, core: Core): void {
  const { ctx } = core;
  const base = ctx.contextPath;

  app.get('/rest/sim/1.0/application-links', (c) => c.json(core.links.list().map(applicationLinkJson)));
  app.post('/rest/sim/1.0/application-links', async (c) => {
    const body = await readJsonObject(c);
    if (!body)
      return jiraError(c, 400, [
        'Send a JSON object: {name, applicationUrl, consumerKey, consumerName, publicKey}.',
      ]);
    try {
      const link = core.links.create(body as ApplicationLinkInput, ctx.clock.now());
      return c.json(applicationLinkJson(link), 201);
    } catch (error) {
      if (error instanceof LinkValidationError) return jiraError(c, 400, [], error.errors);
      throw error;
    }
  });
  app.get('/rest/sim/1.0/application-links/:id', (c) => {
    const link = core.links.get(c.req.param('id'));
    return link
      ? c.json(applicationLinkJson(link))
      : jiraError(c, 404, ['No application link with this id.']);
  });
  app.delete('/rest/sim/1.0/application-links/:id', (c) => {
    const link = core.links.get(c.req.param('id'));
    if (!link) return jiraError(c, 404, ['No application link with this id.']);
    core.links.delete(link.id);
    // Deleting a link ends every authorization made through it, as in Jira.
    core.oauth1.revokeConsumer(link.consumerKey);
    return c.body(null, 204);
  });

  /** Pages are for Jira administrators; others get the sign-in form or a refusal. */
  const guard = (c: Context<SimEnv>): Response | undefined => {
    const user = c.get('user');
    if (!user) {
      return c.html(
        page(
          'Administrator Access',
          signInForm(`${base}/login.jsp`, { os_destination: `${base}${PAGES}/listApplicationLinks` }),
        ),
        401,
      );
    }
    if (!ctx.hasPermission(user, 'ADMINISTER')) {
      return c.html(
        page(
          'Access Denied',
          '<p class="error">You do not have the Jira Administrators permission for this page.</p>',
        ),
        403,
      );
    }
    return undefined;
  };

  const listPage = (c: Context<SimEnv>, notice?: string) => {
    const rows = core.links
      .list()
      .map(
        (link) => `<tr data-consumer-key="${escapeHtml(link.consumerKey)}"><td>${escapeHtml(link.name)}</td>
<td>${escapeHtml(link.applicationUrl)}</td><td>${escapeHtml(link.consumerKey)}</td><td>${escapeHtml(link.consumerName)}</td>
<td><form method="post" action="${escapeHtml(`${base}${PAGES}/delete`)}"><input type="hidden" name="id" value="${escapeHtml(link.id)}">
<button type="submit">Delete</button></form></td></tr>`,
      )
      .join('\n');
    return c.html(
      page(
        'Application links',
        `${notice ? `<p id="notice">${escapeHtml(notice)}</p>` : ''}
<form method="get" action="${escapeHtml(`${base}${PAGES}/create`)}" id="create-link-form">
<label for="applicationUrl">Application URL</label><input type="url" id="applicationUrl" name="applicationUrl">
<p><button type="submit" id="create-link">Create link</button></p></form>
<table id="application-links"><thead><tr><th>Name</th><th>Application URL</th><th>Consumer key</th><th>Consumer name</th><th></th></tr></thead>
<tbody>${rows}</tbody></table>`,
      ),
    );
  };

  const createPage = (
    c: Context<SimEnv>,
    values: Record<string, string>,
    errors: Record<string, string> = {},
  ) => {
    const field = (name: string, label: string, kind: 'text' | 'url' | 'textarea' = 'text') => {
      const error = errors[name]
        ? `<span class="error" id="${name}-error">${escapeHtml(errors[name])}</span>`
        : '';
      const value = escapeHtml(values[name] ?? '');
      const input =
        kind === 'textarea'
          ? `<textarea id="${name}" name="${name}" rows="8">${value}</textarea>`
          : `<input type="${kind}" id="${name}" name="${name}" value="${value}">`;
      return `<label for="${name}">${label}</label>${input}${error}`;
    };
    const checked = values.createIncoming === undefined || values.createIncoming === 'on' ? ' checked' : '';
    return c.html(
      page(
        'Link applications',
        `<form method="post" action="${escapeHtml(`${base}${PAGES}/create`)}" id="link-form">
${field('applicationUrl', 'Application URL', 'url')}
${field('name', 'Application Name')}
<label><input type="checkbox" name="createIncoming" id="createIncoming"${checked}> Create incoming link</label>
${errors.createIncoming ? `<span class="error">${escapeHtml(errors.createIncoming)}</span>` : ''}
${field('consumerKey', 'Consumer Key')}
${field('consumerName', 'Consumer Name')}
${field('publicKey', 'Public Key', 'textarea')}
${field('callbackUrl', 'Consumer Callback URL (optional)', 'url')}
<p><button type="submit" id="continue">Continue</button></p></form>`,
      ),
      Object.keys(errors).length > 0 ? 400 : 200,
    );
  };

  app.get(`${PAGES}/listApplicationLinks`, (c) => guard(c) ?? listPage(c));
  app.get(
    `${PAGES}/create`,
    (c) => guard(c) ?? createPage(c, { applicationUrl: c.req.query('applicationUrl') ?? '' }),
  );
  app.post(`${PAGES}/create`, async (c) => {
    const refused = guard(c);
    if (refused) return refused;
    const form = await readForm(c);
    if (form.createIncoming !== 'on') {
      // The seed insists: without the incoming link Jira has no consumer to check signatures against.
      return createPage(c, form, {
        createIncoming: 'Select "Create incoming link": OAuth consumers need it.',
      });
    }
    try {
      const link = core.links.create(form, ctx.clock.now());
      return listPage(c, `Application link '${link.name}' created.`);
    } catch (error) {
      if (error instanceof LinkValidationError) {
        // Never echo a rejected key back: it may be a private key pasted by mistake.
        const publicKey = error.errors.publicKey ? '' : (form.publicKey ?? '');
        return createPage(c, { ...form, publicKey }, error.errors);
      }
      throw error;
    }
  });
  app.post(`${PAGES}/delete`, async (c) => {
    const refused = guard(c);
    if (refused) return refused;
    const form = await readForm(c);
    const link = form.id ? core.links.get(form.id) : undefined;
    if (link) {
      core.links.delete(link.id);
      core.oauth1.revokeConsumer(link.consumerKey);
    }
    return listPage(
      c,
      link ? `Application link '${link.name}' deleted.` : 'That application link no longer exists.',
    );
  });
}
