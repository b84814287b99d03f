/**
 * Connection diagnostics: each check says pass/warn/fail, what it found, what to do, and how
 * long it took. Reachability, serverInfo, base URL and clock are read anonymously, so a
 * broken credential cannot hide a network problem (and the other way round).
 */
import { AppError } from '../../errors.js';
import {
  createDispatcher,
  deploymentFromServerInfo,
  isJiraApiError,
  type JiraDeployment,
  JiraClient,
  safeHost,
  TESTBRIDGE_PERMISSIONS,
} from '../../jira/index.js';
import { jiraNetworkError } from '../../jira/errors.js';
import { type ServerInfo, serverInfoSchema } from '../../jira/schemas.js';
import type { FetchInit, FetchLike } from '../../jira/transport.js';
import { oauthProblemError } from '../../oauth1/index.js';
import { isLoopbackHost, isOAuth2Error, OAuth2TokenManager } from '../../oauth2/index.js';
import { clientOptionsFor } from '../connection-client.js';
import { type ConnectionDeps, isoNow, nowOf } from '../deps.js';
import {
  authFactsOf,
  getInstance,
  type InstanceRow,
  type InstanceStatus,
  openProxyUrl,
  openTokens,
  type SetupStep,
  tokenManagerCache,
} from '../instances.js';
import { inspectTls } from './tls.js';
import type { CheckId, CheckStatus, DiagnosticCheck, DiagnosticsReport } from './types.js';

/** Needed to create webhooks automatically; without it they are managed by hand. */
export const WEBHOOK_PERMISSION = 'ADMINISTER';
/**
 * The permissions the seed asks the integration user for (plus CREATE_ISSUES for defects):
 * the Jira client's list less ADMINISTER, which only automatic webhooks need and which is
 * reported as its own check.
 */
export const REQUIRED_PERMISSIONS = TESTBRIDGE_PERMISSIONS.filter(
  (p): p is Exclude<(typeof TESTBRIDGE_PERMISSIONS)[number], typeof WEBHOOK_PERMISSION> =>
    p !== WEBHOOK_PERMISSION,
);

export type DiagnosticsOptions = {
  /** Mapped projects to check project permissions in (mappings pass theirs). */
  projectKeys?: readonly string[];
  /** Tests: the fetch used for the anonymous checks. */
  fetch?: FetchLike;
  timeoutMs?: number;
};

const SLOW_MS = 2000;
const CLOCK_WARN_SECONDS = 60;
/** Jira refuses OAuth 1.0a timestamps further off than five minutes. */
const CLOCK_FAIL_SECONDS = 300;
const EXPIRY_WARN_DAYS = 30;

type Check = Omit<DiagnosticCheck, 'ms'>;

function parseJiraTime(value: string | undefined): number | undefined {
  if (!value) return undefined;
  // Jira writes offsets as +0000, which Date.parse only accepts as +00:00.
  const iso = value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

const normalizeBase = (url: string) => {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host.toLowerCase()}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return url.replace(/\/+$/, '');
  }
};

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export async function runDiagnostics(
  deps: ConnectionDeps,
  instanceId: string,
  options: DiagnosticsOptions = {},
): Promise<DiagnosticsReport> {
  const row = await getInstance(deps.store.db, instanceId);
  const startedAt = isoNow(deps);
  const checks: DiagnosticCheck[] = [];
  const timeoutMs = options.timeoutMs ?? 15_000;

  async function run(id: CheckId, title: string, fn: () => Promise<Check | Omit<Check, 'id' | 'title'>>) {
    const t0 = performance.now();
    let result: Omit<Check, 'id' | 'title'>;
    try {
      result = await fn();
    } catch (e) {
      if (e instanceof AppError) {
        result = { status: 'fail', message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
      } else {
        deps.logger.error({ err: e, instanceId: row.id, check: id }, 'diagnostic check crashed');
        result = {
          status: 'fail',
          message: 'The check failed unexpectedly inside Testbridge.',
          hint: 'Look for "diagnostic check crashed" in the server log and report it.',
        };
      }
    }
    const check: DiagnosticCheck = {
      id,
      title,
      status: result.status,
      message: result.message,
      ...(result.hint ? { hint: result.hint } : {}),
      ms: Math.round(performance.now() - t0),
      ...(result.details ? { details: result.details } : {}),
    };
    checks.push(check);
    return check;
  }
  const skip = (id: CheckId, title: string, why: string) =>
    checks.push({ id, title, status: 'skip', message: why, ms: 0 });

  const proxyUrl = await openProxyUrl(deps, row);
  const jiraUrl = new URL(row.jira_url);
  const dispatcher = createDispatcher({
    ...(proxyUrl ? { proxyUrl } : {}),
    tls: { rejectUnauthorized: row.tls_verify === 1, ...(row.ca_pem ? { caPem: row.ca_pem } : {}) },
  });
  const doFetch: FetchLike = options.fetch ?? (globalThis.fetch as FetchLike);

  // ---- reachability (anonymous serverInfo) --------------------------------------------------
  let info: ServerInfo | undefined;
  let serverInfoRequiresAuth = false;
  let ourMidpoint = 0;
  let dateHeader: string | null = null;
  const reach = await run('reachability', 'Jira is reachable', async () => {
    const path = '/rest/api/2/serverInfo';
    const init: FetchInit = {
      headers: { Accept: 'application/json', 'User-Agent': 'Testbridge diagnostics' },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
      ...(dispatcher ? { dispatcher } : {}),
    };
    const sentAt = nowOf(deps);
    const t0 = performance.now();
    let res: Response;
    try {
      res = await doFetch(`${row.jira_url}${path}`, init);
    } catch (cause) {
      const timedOut =
        cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
      if (timedOut) {
        return {
          status: 'fail' as const,
          message: `Jira at ${jiraUrl.host} did not answer within ${Math.round(timeoutMs / 1000)} s.`,
          hint: 'Check that Jira is running and reachable from this server (firewall, proxy settings).',
        };
      }
      const e = jiraNetworkError({
        cause,
        host: jiraUrl.host,
        method: 'GET',
        path,
        ...(proxyUrl ? { viaProxy: safeHost(proxyUrl) } : {}),
      });
      return { status: 'fail' as const, message: e.message, hint: e.hint ?? '' };
    }
    const latencyMs = Math.round(performance.now() - t0);
    ourMidpoint = sentAt + latencyMs / 2;
    dateHeader = res.headers.get('date');
    const body = await res.text().catch(() => '');
    const details = { latencyMs, httpStatus: res.status };
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get('location');
      return {
        status: 'fail' as const,
        message: `Jira at ${jiraUrl.host} redirected to ${location ? safeHost(new URL(location, row.jira_url)) : 'another address'} (HTTP ${res.status}).`,
        hint: 'Use the address Jira redirects to (often https:// or with a context path such as /jira) as the Jira URL.',
        details,
      };
    }
    if (res.status === 401 || res.status === 403) {
      serverInfoRequiresAuth = true;
      return {
        status: 'pass' as const,
        message: `Jira at ${jiraUrl.host} answered in ${latencyMs} ms (serverInfo needs a login there).`,
        details,
      };
    }
    if (res.status === 404) {
      return {
        status: 'fail' as const,
        message: `There is no Jira REST API at ${row.jira_url} (HTTP 404 for ${path}).`,
        hint: 'Check the Jira URL, including a context path such as /jira.',
        details,
      };
    }
    if (res.status >= 400) {
      return {
        status: 'fail' as const,
        message: `Jira at ${jiraUrl.host} answered HTTP ${res.status}.`,
        hint:
          res.status >= 500
            ? 'Jira (or a proxy in front of it) has a problem: check its logs, then run the diagnostics again.'
            : 'Check the Jira URL and any proxy in between.',
        details,
      };
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
    const parsed = serverInfoSchema.safeParse(json);
    if (!parsed.success) {
      return {
        status: 'fail' as const,
        message: `${row.jira_url} answered, but not like Jira (no serverInfo JSON).`,
        hint: 'Check that the Jira URL points at Jira itself, not a login page or a proxy error page.',
        details,
      };
    }
    info = parsed.data;
    return latencyMs > SLOW_MS
      ? {
          status: 'warn' as const,
          message: `Jira at ${jiraUrl.host} answered in ${latencyMs} ms, which is slow.`,
          hint: 'Sync will work but slowly; check the network path (proxy, VPN) between Testbridge and Jira.',
          details,
        }
      : { status: 'pass' as const, message: `Jira at ${jiraUrl.host} answered in ${latencyMs} ms.`, details };
  });
  const reachable = reach.status !== 'fail';

  // ---- TLS -------------------------------------------------------------------------------------
  await run('tls', 'TLS certificate', async () => {
    if (jiraUrl.protocol === 'http:') {
      return isLoopbackHost(jiraUrl.hostname)
        ? { status: 'pass' as const, message: 'TLS is not used (Jira is on this machine).' }
        : {
            status: 'warn' as const,
            message: `TLS is not used: requests to ${jiraUrl.host} travel unencrypted (http://).`,
            hint: 'Use the https:// address of Jira so credentials and data are encrypted in transit.',
          };
    }
    const port = Number(jiraUrl.port || 443);
    const facts = await inspectTls({
      host: jiraUrl.hostname,
      port,
      ...(row.ca_pem ? { caPem: row.ca_pem } : {}),
      ...(proxyUrl ? { proxyUrl } : {}),
      timeoutMs,
      now: nowOf(deps),
    });
    const details = { ...facts };
    if (!facts.authorized) {
      const expired = facts.authorizationError === 'CERT_HAS_EXPIRED';
      return {
        status: row.tls_verify === 1 ? ('fail' as const) : ('warn' as const),
        message: expired
          ? `Jira's TLS certificate expired on ${facts.validTo}.`
          : `Jira's TLS certificate does not verify (${facts.authorizationError ?? 'unknown reason'}).`,
        hint: expired
          ? 'Ask the Jira administrator to renew the certificate.'
          : row.tls_verify === 1
            ? "Add your organisation's CA certificate (PEM) to the instance's TLS settings."
            : 'Certificate verification is switched off for this instance; add the CA certificate and switch it back on.',
        details,
      };
    }
    if (row.tls_verify !== 1) {
      return {
        status: 'warn' as const,
        message: 'The certificate is valid, but verification is switched off for this instance.',
        hint: 'Switch TLS verification back on; it protects the credentials against interception.',
        details,
      };
    }
    const days = facts.daysToExpiry;
    if (days !== undefined && days < EXPIRY_WARN_DAYS) {
      return {
        status: 'warn' as const,
        message: `Jira's TLS certificate expires in ${plural(days, 'day')}.`,
        hint: 'Ask the Jira administrator to renew it before then.',
        details,
      };
    }
    return {
      status: 'pass' as const,
      message: `Jira's TLS certificate is valid${days !== undefined ? ` for ${plural(days, 'more day')}` : ''}.`,
      details,
    };
  });

  // ---- authenticated client (serverInfo fallback, myself, permissions) ---------------------
  let client: JiraClient | undefined;
  let clientError: AppError | undefined;
  try {
    client = new JiraClient(
      await clientOptionsFor(deps, row, {
        reason: 'diagnostics',
        timeoutMs,
        transport: { retry: { maxRetries: 1 }, ...(options.fetch ? { fetch: options.fetch } : {}) },
      }),
    );
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    clientError = e;
  }

  if (reachable && !info && serverInfoRequiresAuth && client) {
    info = await client.serverInfo({ reason: 'diagnostics' }).catch(() => undefined);
  }

  // ---- serverInfo: deployment and version -------------------------------------------------------
  let deployment: JiraDeployment | undefined;
  if (!info) {
    skip(
      'server_info',
      'Jira version',
      reachable ? 'Jira did not tell its version.' : 'Skipped: Jira is not reachable.',
    );
  } else {
    const known = info;
    await run('server_info', 'Jira version', async () => {
      deployment = deploymentFromServerInfo(known);
      const version = known.version ?? `${deployment.major}.${deployment.minor}`;
      const details = { deploymentType: deployment.deploymentType, version, cloud: deployment.cloud };
      if (!deployment.cloud && deployment.major < 8) {
        return {
          status: 'fail' as const,
          message: `Jira ${deployment.deploymentType} ${version} is not supported.`,
          hint: 'Testbridge supports Jira Cloud and Jira Server/Data Center 8.0 or later; upgrade Jira.',
          details,
        };
      }
      if ((row.auth_mode === 'pat' || row.auth_mode === 'oauth2-dc') && deployment.cloud) {
        return {
          status: 'fail' as const,
          message: `Jira Cloud does not support the ${row.auth_mode} auth mode.`,
          hint: 'For Jira Cloud use basic (e-mail + API token), oauth1 or oauth2-cloud.',
          details,
        };
      }
      if (row.auth_mode === 'oauth2-cloud' && !deployment.cloud) {
        return {
          status: 'fail' as const,
          message: `oauth2-cloud is for Jira Cloud, but this is Jira ${deployment.deploymentType} ${version}.`,
          hint: 'For Jira Data Center use oauth2-dc, oauth1, pat or basic.',
          details,
        };
      }
      return {
        status: 'pass' as const,
        message: deployment.cloud
          ? 'Jira Cloud (supported).'
          : `Jira ${deployment.deploymentType} ${version} (supported).`,
        details,
      };
    });
  }

  // ---- base URL ------------------------------------------------------------------------------
  if (!info) skip('base_url', 'Jira base URL', 'Skipped: serverInfo was not available.');
  else {
    const jiraBase = info.baseUrl;
    await run('base_url', 'Jira base URL', async () => {
      const details = { configured: row.base_url, jira: jiraBase };
      if (normalizeBase(jiraBase) === normalizeBase(row.base_url)) {
        return {
          status: 'pass' as const,
          message: `Jira's base URL is ${jiraBase}, as configured.`,
          details,
        };
      }
      const oauth1 = row.auth_mode === 'oauth1';
      return {
        status: oauth1 ? ('fail' as const) : ('warn' as const),
        message: `Jira believes its base URL is ${jiraBase}, but this instance is configured with ${row.base_url}.`,
        hint: oauth1
          ? `OAuth 1.0a signatures are checked against Jira's base URL: set the Jira base URL of this instance to ${jiraBase} (keep the Jira URL as the address Testbridge connects to).`
          : `Links shown to people use the base URL: set it to ${jiraBase}, or fix Jira's base URL (Jira administration > System > General configuration).`,
        details,
      };
    });
  }

  // ---- clock ---------------------------------------------------------------------------------
  const serverTime = parseJiraTime(info?.serverTime);
  const headerTime = dateHeader ? Date.parse(dateHeader) : Number.NaN;
  if (!reachable || (serverTime === undefined && Number.isNaN(headerTime))) {
    skip(
      'clock',
      'Clock difference',
      reachable ? 'Jira sent neither serverTime nor a Date header.' : 'Skipped: Jira is not reachable.',
    );
  } else {
    await run('clock', 'Clock difference', async () => {
      // serverTime has milliseconds; the Date header (seconds, maybe a proxy's) is the fallback.
      const fromServerTime =
        serverTime !== undefined ? Math.round((serverTime - ourMidpoint) / 1000) : undefined;
      const fromHeader = Number.isNaN(headerTime) ? undefined : Math.round((headerTime - ourMidpoint) / 1000);
      const offset = fromServerTime ?? (fromHeader as number);
      const details = {
        offsetSeconds: offset,
        ...(fromServerTime !== undefined ? { serverTimeOffsetSeconds: fromServerTime } : {}),
        ...(fromHeader !== undefined ? { dateHeaderOffsetSeconds: fromHeader } : {}),
      };
      const abs = Math.abs(offset);
      const direction = offset > 0 ? 'ahead of' : 'behind';
      if (abs >= CLOCK_FAIL_SECONDS) {
        return {
          status: row.auth_mode === 'oauth1' ? ('fail' as const) : ('warn' as const),
          message: `Jira's clock is ${abs} seconds ${direction} Testbridge's.`,
          hint:
            row.auth_mode === 'oauth1'
              ? 'Jira refuses OAuth 1.0a requests more than 5 minutes off: synchronise both servers with NTP.'
              : 'Synchronise both servers with NTP; sync watermarks compare Jira timestamps with ours.',
          details,
        };
      }
      if (abs >= CLOCK_WARN_SECONDS) {
        return {
          status: 'warn' as const,
          message: `Jira's clock is ${abs} seconds ${direction} Testbridge's.`,
          hint: 'Synchronise both servers with NTP before the difference grows past 5 minutes.',
          details,
        };
      }
      return { status: 'pass' as const, message: `The clocks agree within ${abs} seconds.`, details };
    });
  }

  // ---- authentication ----------------------------------------------------------------------------
  let authenticated = false;
  let needsReauthorization = false;
  let credentialsRejected = false;
  let actingUser: string | undefined;
  if (!reachable) skip('authentication', 'Authentication', 'Skipped: Jira is not reachable.');
  else if (clientError || !client) {
    await run('authentication', 'Authentication', async () => ({
      status: 'fail' as const,
      message: clientError?.message ?? 'No credentials.',
      ...(clientError?.hint ? { hint: clientError.hint } : {}),
    }));
  } else {
    const jira = client;
    await run('authentication', 'Authentication', async () => {
      try {
        const me = await jira.myself({ reason: 'diagnostics' });
        authenticated = true;
        const who = me.displayName ?? me.name ?? me.accountId ?? 'an unnamed user';
        const login = me.name ?? me.emailAddress ?? me.accountId;
        actingUser = login && login !== who ? `${who} (${login})` : who;
        return {
          status: 'pass' as const,
          message: `Testbridge acts in Jira as ${actingUser}.`,
          details: {
            displayName: me.displayName,
            ...(me.name ? { name: me.name } : {}),
            ...(me.accountId ? { accountId: me.accountId } : {}),
          },
        };
      } catch (e) {
        const translated = translateAuthFailure(row, e);
        needsReauthorization = translated.needsReauthorization;
        credentialsRejected = translated.credentialsRejected;
        return { status: 'fail' as const, message: translated.message, hint: translated.hint };
      }
    });
  }

  // ---- credential expiry --------------------------------------------------------------------------
  await run('credential_expiry', 'Credential expiry', async () => {
    if (row.auth_mode === 'oauth1') {
      if (!row.token_expires_at) {
        return row.tokens_sealed
          ? { status: 'pass' as const, message: 'Jira did not say when the OAuth 1.0a token expires.' }
          : {
              status: 'fail' as const,
              message: 'There is no OAuth 1.0a access token yet.',
              hint: `Authorize the instance: POST /api/jira/instances/${row.id}/authorize.`,
            };
      }
      const days = Math.floor((Date.parse(row.token_expires_at) - nowOf(deps)) / 86_400_000);
      const details = { expiresAt: row.token_expires_at, daysToExpiry: days };
      if (days < 0) {
        needsReauthorization = true;
        return {
          status: 'fail' as const,
          message: `The OAuth 1.0a token expired on ${row.token_expires_at}.`,
          hint: 'Authorize the instance again.',
          details,
        };
      }
      return days < EXPIRY_WARN_DAYS
        ? {
            status: 'warn' as const,
            message: `The OAuth 1.0a token expires in ${plural(days, 'day')}.`,
            hint: 'Authorize the instance again before then.',
            details,
          }
        : {
            status: 'pass' as const,
            message: `The OAuth 1.0a token is valid until ${row.token_expires_at.slice(0, 10)} (${plural(days, 'day')}).`,
            details,
          };
    }
    if (row.auth_mode === 'oauth2-cloud' || row.auth_mode === 'oauth2-dc') {
      const tokens = await openTokens(deps, row);
      if (tokens?.mode !== 'oauth2') {
        return {
          status: 'fail' as const,
          message: 'There are no OAuth 2.0 tokens yet.',
          hint: `Authorize the instance: POST /api/jira/instances/${row.id}/authorize.`,
        };
      }
      if (!tokens.refreshToken) {
        return {
          status: 'warn' as const,
          message: 'There is no refresh token: the connection stops working when the access token expires.',
          hint:
            row.auth_mode === 'oauth2-cloud'
              ? 'Add the offline_access scope to the app and authorize again.'
              : 'Authorize again; check the Jira OAuth 2.0 application allows refresh tokens.',
        };
      }
      if (!reachable) return { status: 'skip' as const, message: 'Skipped: Jira is not reachable.' };
      // The only way to know a refresh token still works is to use it; the rotated one is stored.
      const entry = tokenManagerCache(deps).get(row.id);
      if (!(entry?.manager instanceof OAuth2TokenManager)) {
        return { status: 'skip' as const, message: 'The refresh token could not be checked.' };
      }
      try {
        const fresh = await entry.manager.refresh();
        return {
          status: 'pass' as const,
          message: `The refresh token works (just used and rotated); the access token is valid until ${fresh.expiresAt ? new Date(fresh.expiresAt).toISOString() : 'further notice'}.`,
          details: fresh.expiresAt ? { accessTokenExpiresAt: new Date(fresh.expiresAt).toISOString() } : {},
        };
      } catch (e) {
        if (isOAuth2Error(e, 'oauth2_reauthorization_required')) needsReauthorization = true;
        throw e;
      }
    }
    return {
      status: 'pass' as const,
      message:
        row.auth_mode === 'pat'
          ? 'Personal access tokens expire on the date chosen when they were created; Jira shows it under Profile > Personal Access Tokens.'
          : 'Passwords and API tokens have no expiry Testbridge can read.',
    };
  });

  // ---- permissions ---------------------------------------------------------------------------
  if (!authenticated || !client) {
    const why = 'Skipped: Testbridge could not authenticate.';
    skip('permissions', 'Jira permissions', why);
    skip('webhook_permission', 'Automatic webhooks', why);
  } else {
    const jira = client;
    let administer: boolean | undefined;
    await run('permissions', 'Jira permissions', async () => {
      const result = await jira.myPermissions({
        permissions: [...REQUIRED_PERMISSIONS, WEBHOOK_PERMISSION],
        reason: 'diagnostics',
      });
      administer = result.permissions[WEBHOOK_PERMISSION]?.havePermission;
      const missing = REQUIRED_PERMISSIONS.filter((p) => result.permissions[p]?.havePermission !== true);
      const details = { missing, granted: REQUIRED_PERMISSIONS.filter((p) => !missing.includes(p)) };
      if (missing.length) {
        return {
          status: 'fail' as const,
          message:
            `The Jira user ${actingUser ?? ''} lacks ${plural(missing.length, 'permission')}: ${missing.join(', ')}.`.replace(
              '  ',
              ' ',
            ),
          hint: "Grant them in the projects' permission schemes (Jira administration > Issues > Permission schemes), or connect with an account that has them.",
          details,
        };
      }
      return {
        status: 'pass' as const,
        message: `All ${REQUIRED_PERMISSIONS.length} permissions Testbridge needs are granted.`,
        details,
      };
    });
    await run('webhook_permission', 'Automatic webhooks', async () =>
      administer === true
        ? { status: 'pass' as const, message: 'The Jira user may create webhooks (Administer Jira).' }
        : {
            status: 'warn' as const,
            message:
              'The Jira user lacks the Administer Jira (ADMINISTER) global permission: Testbridge cannot create webhooks automatically.',
            hint: 'Grant "Administer Jira" to the integration user, or create the webhooks by hand (Jira administration > System > WebHooks) with the events Testbridge lists.',
            details: { permission: WEBHOOK_PERMISSION },
          },
    );
    for (const projectKey of options.projectKeys ?? []) {
      await run('project_permissions', `Permissions in project ${projectKey}`, async () => {
        const result = await jira.myPermissions({
          permissions: [...REQUIRED_PERMISSIONS],
          projectKey,
          reason: 'diagnostics',
        });
        const missing = REQUIRED_PERMISSIONS.filter((p) => result.permissions[p]?.havePermission !== true);
        return missing.length
          ? {
              status: 'fail' as const,
              message: `In project ${projectKey} the Jira user lacks: ${missing.join(', ')}.`,
              hint: `Grant them in the permission scheme of ${projectKey}, or map another project.`,
              details: { projectKey, missing },
            }
          : {
              status: 'pass' as const,
              message: `All permissions are granted in project ${projectKey}.`,
              details: { projectKey },
            };
      });
    }
  }

  // ---- can Jira reach us? ---------------------------------------------------------------------
  await run('public_url', 'Jira can reach Testbridge', async () => {
    const publicUrl = new URL(deps.config.publicUrl);
    const weAreLoopback = isLoopbackHost(publicUrl.hostname);
    const jiraLoopback = isLoopbackHost(jiraUrl.hostname);
    const details = { publicUrl: deps.config.publicUrl };
    if (weAreLoopback && !jiraLoopback) {
      return {
        status: 'warn' as const,
        message: `Testbridge's public URL ${deps.config.publicUrl} is a local address, which Jira at ${jiraUrl.host} cannot reach: webhooks and the OAuth callback will not arrive.`,
        hint: 'Set TESTBRIDGE_PUBLIC_URL to the address Jira and browsers use to reach Testbridge (e.g. https://testbridge.example.com).',
        details,
      };
    }
    if (publicUrl.protocol === 'http:' && !weAreLoopback) {
      return {
        status: 'warn' as const,
        message: `Testbridge's public URL ${deps.config.publicUrl} uses http://: webhook payloads travel unencrypted.`,
        hint: 'Serve Testbridge over https:// (a reverse proxy with TLS) and set TESTBRIDGE_PUBLIC_URL accordingly.',
        details,
      };
    }
    return {
      status: 'pass' as const,
      message:
        jiraLoopback && weAreLoopback
          ? `Jira and Testbridge run on the same machine; Jira reaches ${deps.config.publicUrl}.`
          : `Jira must reach ${deps.config.publicUrl} for webhooks; the address is a public one.`,
      details,
    };
  });

  await client?.close().catch(() => {});
  await dispatcher?.close().catch(() => {});

  // ---- report and instance state -------------------------------------------------------------------
  const counts: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const c of checks) counts[c.status]++;
  const ok = counts.fail === 0;
  const summary = `${counts.pass} passed, ${plural(counts.warn, 'warning')}, ${counts.fail} failed${counts.skip ? `, ${counts.skip} skipped` : ''}.`;
  const report: DiagnosticsReport = {
    instanceId: row.id,
    startedAt,
    finishedAt: isoNow(deps),
    ok,
    summary,
    counts,
    checks,
  };
  const firstFail = checks.find((c) => c.status === 'fail');
  const oauth = row.auth_mode !== 'pat' && row.auth_mode !== 'basic';
  let status: InstanceStatus;
  let setupStep: SetupStep;
  if (needsReauthorization && oauth) {
    status = 'needs_reauthorization';
    setupStep = 'authorize';
  } else if (!ok) {
    // Not authorized yet is still setup; anything else that fails is a failing connection.
    status = clientError && oauth ? 'setup' : 'failing';
    setupStep = authenticated
      ? 'done'
      : credentialsRejected
        ? 'credentials'
        : oauth
          ? (row.setup_step as SetupStep)
          : 'diagnostics';
  } else {
    status = counts.warn > 0 ? 'warning' : 'connected';
    setupStep = 'done';
  }
  await deps.store.db
    .updateTable('jira_instances')
    .set({
      status,
      status_message: firstFail ? `${firstFail.title}: ${firstFail.message}` : counts.warn ? summary : null,
      setup_step: setupStep,
      last_diagnostics_json: JSON.stringify(report),
      last_diagnostics_at: report.finishedAt,
      ...(deployment ? { deployment_json: JSON.stringify(withVersion(deployment, info)) } : {}),
      ...(actingUser ? { acting_user: actingUser } : {}),
      updated_at: isoNow(deps),
    })
    .where('id', '=', row.id)
    .execute();
  deps.logger.info({ instanceId: row.id, counts, status }, 'Jira diagnostics finished');
  return report;
}

function withVersion(d: JiraDeployment, info: ServerInfo | undefined): JiraDeployment & { version?: string } {
  return { ...d, ...(info?.version ? { version: info.version } : {}) };
}

/** Why Jira refused our credentials, in words that say what to fix. */
export function translateAuthFailure(
  row: InstanceRow,
  e: unknown,
): { message: string; hint: string; needsReauthorization: boolean; credentialsRejected: boolean } {
  if (isOAuth2Error(e)) {
    return {
      message: e.message,
      hint: e.hint ?? 'Authorize the instance again.',
      needsReauthorization: e.code === 'oauth2_reauthorization_required',
      credentialsRejected: false,
    };
  }
  if (isJiraApiError(e, 'jira_unauthorized')) {
    if (row.auth_mode === 'oauth1') {
      // Newer Jira clients carry the oauth_problem as authProblem; older ones only in the messages.
      const problem =
        (e as { authProblem?: string }).authProblem ??
        e.jiraMessages
          .map((m) => /^(?:oauth_problem=)?([a-z_]+)$/.exec(m)?.[1])
          .find((p): p is string => p !== undefined);
      const facts = authFactsOf(row);
      if (problem) {
        const translated = oauthProblemError(
          { problem, status: 401 },
          {
            consumerKey: facts.mode === 'oauth1' ? facts.consumerKey : '',
            requestUrl: `${row.jira_url}/rest/api/2/myself`,
            signingUrl: `${row.base_url}/rest/api/2/myself`,
          },
        );
        return {
          message: translated.message,
          hint: translated.hint ?? '',
          needsReauthorization: /^token_/.test(problem),
          credentialsRejected: false,
        };
      }
      return {
        message: 'Jira did not accept the OAuth 1.0a access token.',
        hint: 'Authorize the instance again; if that fails too, check the application link in Jira.',
        needsReauthorization: true,
        credentialsRejected: false,
      };
    }
    if (row.auth_mode === 'pat') {
      return {
        message: 'Jira did not accept the personal access token (it is wrong, expired or revoked).',
        hint: 'Create a new token in Jira (Profile > Personal Access Tokens) and enter it in the instance settings.',
        needsReauthorization: false,
        credentialsRejected: true,
      };
    }
    if (row.auth_mode === 'basic') {
      const facts = authFactsOf(row);
      return {
        message: `Jira did not accept the user name and password/API token of ${facts.mode === 'basic' ? facts.username : 'the user'}.`,
        hint: 'Check them; on Jira Cloud use the account e-mail and an API token (id.atlassian.com > Security > API tokens), not the password.',
        needsReauthorization: false,
        credentialsRejected: true,
      };
    }
    return {
      message: 'Jira did not accept the OAuth 2.0 access token and it could not be refreshed.',
      hint: 'Authorize the instance again.',
      needsReauthorization: true,
      credentialsRejected: false,
    };
  }
  if (e instanceof AppError) {
    return {
      message: e.message,
      hint: e.hint ?? '',
      needsReauthorization: false,
      credentialsRejected: false,
    };
  }
  throw e;
}
