import { createDispatcher, deploymentFromServerInfo, type JiraDeployment } from '../jira/index.js';
import { serverInfoSchema } from '../jira/schemas.js';
import type { FetchInit, FetchLike } from '../jira/transport.js';
import type { ConnectionDeps } from './deps.js';
import { deploymentOf, type InstanceRow, openProxyUrl } from './instances.js';

/**
 * Which Jira this is, asked anonymously (serverInfo needs no login) so the wizard can show
 * the application link steps of the right version before any credential works. Undefined
 * when Jira cannot be asked: the wizard then shows every variant.
 */
export async function detectDeployment(
  deps: ConnectionDeps,
  row: InstanceRow,
  options: { fetch?: FetchLike; timeoutMs?: number } = {},
): Promise<JiraDeployment | undefined> {
  const known = deploymentOf(row);
  if (known) return known;
  const proxyUrl = await openProxyUrl(deps, row);
  const dispatcher = createDispatcher({
    ...(proxyUrl ? { proxyUrl } : {}),
    tls: { rejectUnauthorized: row.tls_verify === 1, ...(row.ca_pem ? { caPem: row.ca_pem } : {}) },
  });
  try {
    const init: FetchInit = {
      headers: { Accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
      ...(dispatcher ? { dispatcher } : {}),
    };
    const res = await (options.fetch ?? (globalThis.fetch as FetchLike))(
      `${row.jira_url}/rest/api/2/serverInfo`,
      init,
    );
    if (!res.ok) return undefined;
    const parsed = serverInfoSchema.safeParse(await res.json());
    return parsed.success ? deploymentFromServerInfo(parsed.data) : undefined;
  } catch {
    return undefined;
  } finally {
    await dispatcher?.close().catch(() => {});
  }
}
