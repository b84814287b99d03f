import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { Hono } from 'hono';
import { registerAdminRoutes } from './admin/routes.js';
import { registerApplicationLinks } from './applinks/routes.js';
import { markGateway } from './auth/gateway.js';
import { registerLogin } from './auth/login.js';
import { authMiddleware, relativePath } from './auth/middleware.js';
import type { Flavor, SimContext, SimData, SimEnv } from './context.js';
import { type Core, createCore } from './core.js';
import { createSimData } from './data/index.js';
import { isFlavor } from './flavors.js';
import { jiraErrorBody, page } from './http.js';
import { registerOAuth1Provider } from './oauth1/provider.js';
import { registerOAuth2Provider } from './oauth2/provider.js';
import { registerPatRoutes } from './pat/routes.js';
import { registerAllPermissions, registerMyPermissions } from './rest/permissions.js';
import { registerServerInfo } from './rest/server-info.js';
import { registerUserRoutes } from './rest/users.js';

export type JiraSimOptions = {
  /** 0 picks a free port (tests); the CLI defaults to 2990 like Atlassian's development Jira. */
  port?: number;
  host?: string;
  flavor?: Flavor;
  /** What Jira believes its address is; defaults to where it listens. Differs behind a reverse proxy. */
  baseUrl?: string;
  /** '' or a path such as '/jira'. */
  contextPath?: string;
  clockOffsetMs?: number;
  seedIssues?: number;
  seed?: number;
  /** Waits between webhook delivery retries (ms); tests of retries shorten them. */
  webhookRetryDelaysMs?: number[];
};

export type JiraSim = {
  /** Where it listens, including the context path. */
  url: string;
  baseUrl: string;
  ctx: SimContext;
  data: SimData;
  /** The Cloud site id for `/ex/jira/{cloudId}/...` (meaningful on the cloud flavour). */
  cloudId: string;
  core: Core;
  close(): Promise<void>;
};

export class JiraSimConfigError extends Error {}

export function normalizeContextPath(value: string | undefined): string {
  const path = (value ?? '').trim().replace(/\/+$/, '');
  if (path === '') return '';
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(path)) {
    throw new JiraSimConfigError(`The context path '${path}' is not valid: use a path such as /jira.`);
  }
  return path;
}

export function normalizeBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new JiraSimConfigError(
      `The base URL '${value}' is not a URL: use e.g. https://jira.example.com/jira.`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new JiraSimConfigError(`The base URL '${value}' must start with http:// or https://.`);
  }
  if (url.search || url.hash)
    throw new JiraSimConfigError(`The base URL '${value}' must not have a query or fragment.`);
  return url.toString().replace(/\/+$/, '');
}

type RequestInitWithDuplex = RequestInit & { duplex?: 'half' };

/** Builds the Hono app: faults, then authentication, then the core's routes, then the data side's. */
function buildApp(core: Core, data: SimData, listenUrl: () => string): Hono<SimEnv> {
  const { ctx } = core;
  const root = new Hono<SimEnv>();
  const api = ctx.contextPath ? root.basePath(ctx.contextPath) : root;
  const faults = core.faults.middleware();
  // The simulator's admin API must stay reachable while faults are injected.
  api.use('*', (c, next) =>
    relativePath(c, ctx.contextPath).startsWith('/rest/sim/') ? next() : faults(c, next),
  );
  api.use('*', authMiddleware(core));
  registerAdminRoutes(api, core, listenUrl);
  registerLogin(api, core);
  registerServerInfo(api, core);
  registerMyPermissions(api, core);
  registerAllPermissions(api, core);
  registerUserRoutes(api, core);
  registerApplicationLinks(api, core);
  registerOAuth1Provider(api, core);
  if (ctx.flavor === 'cloud') registerOAuth2Provider(api, core, 'cloud');
  else registerPatRoutes(api, core);
  if (ctx.flavor === 'dc9' || ctx.flavor === 'dc10') registerOAuth2Provider(api, core, 'dc');
  data.register(api);

  root.notFound((c) => {
    if (c.req.path.includes('/rest/'))
      return c.json({ message: `null for uri: ${c.req.url}`, 'status-code': 404 }, 404);
    return c.html(page('Page not found', '<p>The page you requested does not exist in jira-sim.</p>'), 404);
  });
  root.onError((error, c) => {
    // A 500 here is a simulator bug; say so on stderr without echoing the request.
    process.stderr.write(`jira-sim: ${c.req.method} ${c.req.path} failed: ${error.message}\n`);
    return c.json(jiraErrorBody(['Internal server error in jira-sim. See its standard error output.']), 500);
  });
  return root;
}

export async function createJiraSim(options: JiraSimOptions = {}): Promise<JiraSim> {
  const flavor = options.flavor ?? 'server';
  if (!isFlavor(flavor))
    throw new JiraSimConfigError(`Unknown flavor '${String(flavor)}': use cloud, server, dc9 or dc10.`);
  const contextPath = normalizeContextPath(options.contextPath);
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new JiraSimConfigError(`The port ${port} is not valid.`);

  let handler: ((request: Request) => Response | Promise<Response>) | undefined;
  const server: ServerType = serve({
    fetch: (request: Request) =>
      handler
        ? handler(request)
        : new Response('jira-sim is starting', { status: 503, headers: { 'retry-after': '1' } }),
    port,
    hostname: host,
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        new JiraSimConfigError(
          error.code === 'EADDRINUSE'
            ? `Port ${port} on ${host} is already in use: stop the other process or pass another --port.`
            : `Cannot listen on ${host}:${port}: ${error.message}`,
        ),
      );
    };
    server.once('error', onError);
    server.once('listening', () => {
      server.off('error', onError);
      resolve();
    });
  });
  // Idle keep-alive sockets must outlive the client's (undici: 4 s, checked on a coarse
  // timer): with Node's 5 s default the server sometimes closes a socket just as a client
  // reuses it, and the client sees ECONNRESET. Tomcat, in front of real Jira, waits 20 s.
  if ('keepAliveTimeout' in server) server.keepAliveTimeout = 20_000;
  const address = server.address() as AddressInfo;
  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  const url = `http://${hostForUrl}:${address.port}${contextPath}`;

  let core: Core;
  let data: SimData;
  try {
    const baseUrl = normalizeBaseUrl(options.baseUrl ?? url);
    core = createCore({
      flavor,
      baseUrl,
      contextPath,
      clockOffsetMs: options.clockOffsetMs ?? 0,
      seed: options.seed ?? 1,
    });
    if (options.webhookRetryDelaysMs) core.ctx.webhookRetryDelaysMs = options.webhookRetryDelaysMs;
    data = createSimData(core.ctx);
    core.data = data;
  } catch (error) {
    server.close();
    throw error;
  }
  const app = buildApp(core, data, () => url);
  const gatewayPrefix = `${contextPath}/ex/jira/`;
  handler = (request: Request) => {
    const requestUrl = new URL(request.url);
    if (!requestUrl.pathname.startsWith(gatewayPrefix)) return app.fetch(request);
    // Atlassian's API gateway: /ex/jira/{cloudId}/rest/... reaches the same handlers as the site.
    const rest = requestUrl.pathname.slice(gatewayPrefix.length);
    const slash = rest.indexOf('/');
    const cloudId = slash < 0 ? rest : rest.slice(0, slash);
    if (core.ctx.flavor !== 'cloud' || cloudId !== core.cloudId) {
      return Response.json(
        { code: 404, message: 'No Jira site is known for this cloud id.' },
        { status: 404 },
      );
    }
    requestUrl.pathname = `${contextPath}${slash < 0 ? '/' : rest.slice(slash)}`;
    const init: RequestInitWithDuplex = {
      method: request.method,
      headers: request.headers,
      signal: request.signal,
      ...(request.method === 'GET' || request.method === 'HEAD'
        ? {}
        : { body: request.body, duplex: 'half' }),
    };
    const rewritten = new Request(requestUrl, init);
    markGateway(rewritten, cloudId);
    return app.fetch(rewritten);
  };
  if (options.seedIssues) data.seedIssues(options.seedIssues);

  let closed: Promise<void> | undefined;
  return {
    url,
    baseUrl: core.ctx.baseUrl,
    ctx: core.ctx,
    data,
    cloudId: core.cloudId,
    core,
    close() {
      closed ??= (async () => {
        core.faults.releaseHung();
        await data.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          if ('closeAllConnections' in server) server.closeAllConnections();
        });
      })();
      return closed;
    },
  };
}
