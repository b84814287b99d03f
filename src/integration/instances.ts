/**
 * Jira instances (connections): what an administrator configured, the sealed secrets, the
 * setup progress and the last diagnostics. Secrets enter through `createInstance` /
 * `updateInstance`, are sealed in the vault at once and leave only towards Jira: every view
 * this module returns shows fingerprints and "set" flags instead.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AppError, notFound } from '../errors.js';
import { createDispatcher, type JiraDeployment } from '../jira/index.js';
import { DEFAULT_BITS, generateKeyPair, readPrivateKey, toPkcs8Pem, toSpkiPem } from '../keys/index.js';
import type { JiraAuthMode, JiraInstancesTable } from '../store/schema.js';
import { type ConnectionDeps, isoNow } from './deps.js';
import type { DiagnosticsReport } from './diagnostics/types.js';

export type { JiraAuthMode } from '../store/schema.js';
export const AUTH_MODES: readonly JiraAuthMode[] = ['oauth1', 'oauth2-cloud', 'oauth2-dc', 'pat', 'basic'];

/** Where an instance is in its setup; `next` in the view says what to do about it. */
export type SetupStep = 'application-link' | 'authorize' | 'credentials' | 'diagnostics' | 'done';

/**
 * setup: not usable yet; connected: diagnostics pass; warning: usable with warnings;
 * failing: a check fails; needs_reauthorization: Jira no longer accepts the token.
 */
export type InstanceStatus = 'setup' | 'connected' | 'warning' | 'failing' | 'needs_reauthorization';

// ---- input -------------------------------------------------------------------------------

const text = (what: string, max = 500) =>
  z
    .string({ error: `${what} must be text` })
    .trim()
    .min(1, { error: `${what} is required` })
    .max(max, { error: `${what} is longer than ${max} characters` });

const endpointUrl = z.string().trim().url({ error: 'must be an absolute URL' });

export const authInputSchema = z.discriminatedUnion(
  'mode',
  [
    z
      .object({
        mode: z.literal('oauth1'),
        consumerKey: text('consumerKey', 200),
        /** Pasted private key; omitted means "generate one for me". */
        privateKey: z
          .string()
          .max(64 * 1024)
          .optional(),
        keyBits: z.number().int().optional(),
        /** On update: make a new key pair even though one is stored (the link's key changes too). */
        regenerateKey: z.boolean().optional(),
        consumerName: z.string().trim().max(200).optional(),
      })
      .strict(),
    z
      .object({
        mode: z.literal('oauth2-cloud'),
        clientId: text('clientId', 500),
        clientSecret: text('clientSecret', 2000),
        scopes: z.array(z.string().trim().min(1)).optional(),
        /** Atlassian's endpoints; overridable for tests and demo mode (jira-sim). */
        endpoints: z
          .object({
            authorizationEndpoint: endpointUrl.optional(),
            tokenEndpoint: endpointUrl.optional(),
            accessibleResourcesEndpoint: endpointUrl.optional(),
            apiGateway: endpointUrl.optional(),
          })
          .strict()
          .optional(),
      })
      .strict(),
    z
      .object({
        mode: z.literal('oauth2-dc'),
        clientId: text('clientId', 500),
        clientSecret: text('clientSecret', 2000),
        scopes: z.array(z.string().trim().min(1)).optional(),
      })
      .strict(),
    z.object({ mode: z.literal('pat'), token: text('token', 2000) }).strict(),
    z
      .object({
        mode: z.literal('basic'),
        username: text('username', 200),
        /** Password on Server/DC, API token on Cloud. */
        password: text('password', 2000),
      })
      .strict(),
  ],
  { error: `auth.mode must be one of ${AUTH_MODES.join(', ')}` },
);
export type AuthInput = z.infer<typeof authInputSchema>;

export const instanceInputSchema = z
  .object({
    name: text('name', 200),
    jiraUrl: text('jiraUrl', 2000),
    baseUrl: z.string().trim().max(2000).optional(),
    proxyUrl: z.string().trim().max(2000).optional(),
    tls: z
      .object({
        verify: z.boolean().optional(),
        caPem: z
          .string()
          .max(256 * 1024)
          .optional(),
      })
      .strict()
      .optional(),
    auth: authInputSchema,
  })
  .strict();
export type InstanceInput = z.infer<typeof instanceInputSchema>;

export const instanceUpdateSchema = instanceInputSchema.partial().strict();
export type InstanceUpdate = z.infer<typeof instanceUpdateSchema>;

/** Turns a zod failure into the product's error, naming the field but never echoing values. */
export function invalidInput(error: z.ZodError, example: string): AppError {
  const issue = error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : 'body';
  return new AppError(
    'invalid_request',
    `The request's ${where} is not valid: ${issue?.message ?? 'unknown'}.`,
    {
      hint: `Send a JSON object such as ${example}.`,
    },
  );
}

export function parseInstanceInput(raw: unknown): InstanceInput {
  const parsed = instanceInputSchema.safeParse(raw);
  if (!parsed.success) {
    throw invalidInput(
      parsed.error,
      '{"name": "Jira", "jiraUrl": "https://jira.example.com", "auth": {"mode": "oauth1", "consumerKey": "testbridge"}}',
    );
  }
  return parsed.data;
}

// ---- stored shapes -------------------------------------------------------------------------

/** Non-secret facts about the credentials (auth_json). */
export type AuthFacts =
  | {
      mode: 'oauth1';
      consumerKey: string;
      consumerName: string;
      keySource: 'generated' | 'pasted';
      keyBits: number;
      keyFingerprint: { sha256: string; hex: string };
      publicKeyPem: string;
      warnings: string[];
    }
  | {
      mode: 'oauth2-cloud';
      clientId: string;
      scopes?: string[];
      endpoints?: {
        authorizationEndpoint?: string;
        tokenEndpoint?: string;
        accessibleResourcesEndpoint?: string;
        apiGateway?: string;
      };
      cloudId?: string;
      siteUrl?: string;
      grantedScope?: string;
    }
  | { mode: 'oauth2-dc'; clientId: string; scopes?: string[]; grantedScope?: string }
  | { mode: 'pat' }
  | { mode: 'basic'; username: string };

/** Sealed long-lived credentials (credentials_sealed). */
export type Credentials =
  | { mode: 'oauth1'; privateKeyPem: string }
  | { mode: 'oauth2-cloud' | 'oauth2-dc'; clientSecret: string }
  | { mode: 'pat'; token: string }
  | { mode: 'basic'; password: string };

/** Sealed tokens obtained by authorizing (tokens_sealed). */
export type Tokens =
  | { mode: 'oauth1'; accessToken: string; tokenSecret: string; sessionHandle?: string }
  | { mode: 'oauth2'; accessToken: string; refreshToken?: string; expiresAt?: number; scope?: string };

export type InstanceRow = JiraInstancesTable;

// ---- sealing ---------------------------------------------------------------------------------

/** AAD for a sealed column: a value moved to another instance or column will not open. */
export const sealContext = (instanceId: string, column: 'credentials' | 'tokens' | 'proxy') =>
  `jira_instances:${instanceId}:${column}`;

export async function sealJson(deps: ConnectionDeps, value: unknown, context: string): Promise<string> {
  return deps.vault.seal(JSON.stringify(value), context);
}

export async function openJson<T>(deps: ConnectionDeps, sealed: string, context: string): Promise<T> {
  let plain: string;
  try {
    plain = await deps.vault.open(sealed, context);
  } catch (cause) {
    throw new AppError('secret_unreadable', 'A stored secret of this Jira instance could not be decrypted.', {
      status: 500,
      hint: 'The master key (TESTBRIDGE_SECRET_KEY or the key file in the data directory) differs from the one that sealed it: restore it, or enter the credentials again.',
      cause,
    });
  }
  return JSON.parse(plain) as T;
}

export async function openCredentials(deps: ConnectionDeps, row: InstanceRow): Promise<Credentials> {
  if (!row.credentials_sealed) {
    throw new AppError('jira_instance_incomplete', `Jira instance "${row.name}" has no stored credentials.`, {
      status: 409,
      hint: 'Enter the credentials again (PATCH the instance with its auth settings).',
    });
  }
  return openJson<Credentials>(deps, row.credentials_sealed, sealContext(row.id, 'credentials'));
}

export async function openTokens(deps: ConnectionDeps, row: InstanceRow): Promise<Tokens | undefined> {
  if (!row.tokens_sealed) return undefined;
  return openJson<Tokens>(deps, row.tokens_sealed, sealContext(row.id, 'tokens'));
}

export async function openProxyUrl(deps: ConnectionDeps, row: InstanceRow): Promise<string | undefined> {
  if (!row.proxy_url_sealed) return undefined;
  return openJson<string>(deps, row.proxy_url_sealed, sealContext(row.id, 'proxy'));
}

export const authFactsOf = (row: InstanceRow): AuthFacts => JSON.parse(row.auth_json) as AuthFacts;

/**
 * What kind of Jira an instance is (Cloud or Server/DC and its version), as last learned
 * from serverInfo by diagnostics; undefined until they ran. The sync picks webhook and
 * search APIs from it (usesJiraWebhookApi, usesLegacyCreateMeta in src/jira).
 */
export function deploymentOf(row: InstanceRow): (JiraDeployment & { version?: string }) | undefined {
  return row.deployment_json ? (JSON.parse(row.deployment_json) as JiraDeployment) : undefined;
}

export async function deploymentFor(
  db: ConnectionDeps['store']['db'],
  instanceId: string,
): Promise<(JiraDeployment & { version?: string }) | undefined> {
  return deploymentOf(await getInstance(db, instanceId));
}

// ---- validation ------------------------------------------------------------------------------

function normalizeUrl(value: string, field: string, example: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new AppError('jira_url_invalid', `The ${field} is not a valid URL.`, {
      hint: `Use the full address, for example ${example}.`,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AppError('jira_url_invalid', `The ${field} must start with http:// or https://.`, {
      hint: `Use the full address, for example ${example}.`,
    });
  }
  if (url.username || url.password) {
    throw new AppError('jira_url_invalid', `The ${field} must not contain a user name or password.`, {
      hint: 'Remove the credentials from the URL; choose the authentication method separately.',
    });
  }
  if (url.search || url.hash) {
    throw new AppError('jira_url_invalid', `The ${field} must not have a query (?) or fragment (#).`, {
      hint: `Use the Jira address only, for example ${example} (with its context path such as /jira, if any).`,
    });
  }
  return url.toString().replace(/\/+$/, '');
}

function checkNetwork(proxyUrl: string | undefined, tls: { verify?: boolean; caPem?: string } | undefined) {
  // createDispatcher validates proxy and CA exactly as the Jira client will use them.
  const dispatcher = createDispatcher({
    ...(proxyUrl ? { proxyUrl } : {}),
    tls: {
      ...(tls?.caPem?.trim() ? { caPem: tls.caPem } : {}),
      ...(tls?.verify === false ? { rejectUnauthorized: false } : {}),
    },
  });
  void dispatcher?.close();
}

function modeAllowedFor(mode: JiraAuthMode, jiraUrl: string): void {
  const host = new URL(jiraUrl).hostname;
  if (mode === 'pat' && /\.atlassian\.net$/i.test(host)) {
    throw new AppError('jira_auth_mode_unsupported', 'Jira Cloud has no personal access tokens.', {
      hint: 'For Jira Cloud choose basic (account e-mail + API token), oauth1 or oauth2-cloud.',
    });
  }
  if (mode === 'oauth2-dc' && /\.atlassian\.net$/i.test(host)) {
    throw new AppError('jira_auth_mode_unsupported', 'oauth2-dc is for Jira Data Center, not Jira Cloud.', {
      hint: 'For Jira Cloud choose oauth2-cloud (Atlassian 3LO).',
    });
  }
}

type PreparedAuth = { facts: AuthFacts; credentials: Credentials };

/**
 * `existing` is the stored key pair of an oauth1 instance being updated: kept unless a new
 * key is pasted or regenerateKey is set, so renaming the consumer key does not silently
 * invalidate the public key already pasted into Jira.
 */
async function prepareAuth(
  auth: AuthInput,
  existing?: { facts: AuthFacts; credentials: Credentials },
): Promise<PreparedAuth> {
  switch (auth.mode) {
    case 'oauth1': {
      const keep =
        existing?.facts.mode === 'oauth1' &&
        existing.credentials.mode === 'oauth1' &&
        !auth.regenerateKey &&
        !auth.privateKey?.trim();
      if (keep && existing?.facts.mode === 'oauth1') {
        return {
          facts: {
            ...existing.facts,
            consumerKey: auth.consumerKey,
            consumerName: auth.consumerName?.trim() || existing.facts.consumerName,
          },
          credentials: existing.credentials,
        };
      }
      let pem: string;
      let bits: number;
      let warnings: string[];
      let fp: { sha256: string; hex: string };
      let publicKeyPem: string;
      const pasted = auth.privateKey !== undefined && auth.privateKey.trim() !== '';
      if (pasted) {
        const info = readPrivateKey(auth.privateKey as string);
        pem = toPkcs8Pem(info.key);
        bits = info.bits;
        warnings = info.warnings;
        fp = info.fingerprint;
        publicKeyPem = toSpkiPem(info.key);
      } else {
        const pair = await generateKeyPair({ bits: auth.keyBits ?? DEFAULT_BITS });
        pem = pair.privateKeyPem;
        bits = pair.bits;
        warnings = pair.warnings;
        fp = pair.fingerprint;
        publicKeyPem = pair.publicKeyPem;
      }
      return {
        facts: {
          mode: 'oauth1',
          consumerKey: auth.consumerKey,
          consumerName: auth.consumerName?.trim() || 'Testbridge',
          keySource: pasted ? 'pasted' : 'generated',
          keyBits: bits,
          keyFingerprint: fp,
          publicKeyPem,
          warnings,
        },
        credentials: { mode: 'oauth1', privateKeyPem: pem },
      };
    }
    case 'oauth2-cloud':
      return {
        facts: {
          mode: 'oauth2-cloud',
          clientId: auth.clientId,
          ...(auth.scopes ? { scopes: auth.scopes } : {}),
          ...(auth.endpoints ? { endpoints: auth.endpoints } : {}),
        },
        credentials: { mode: 'oauth2-cloud', clientSecret: auth.clientSecret },
      };
    case 'oauth2-dc':
      return {
        facts: {
          mode: 'oauth2-dc',
          clientId: auth.clientId,
          ...(auth.scopes ? { scopes: auth.scopes } : {}),
        },
        credentials: { mode: 'oauth2-dc', clientSecret: auth.clientSecret },
      };
    case 'pat':
      return { facts: { mode: 'pat' }, credentials: { mode: 'pat', token: auth.token } };
    case 'basic':
      return {
        facts: { mode: 'basic', username: auth.username },
        credentials: { mode: 'basic', password: auth.password },
      };
  }
}

const firstStep = (mode: JiraAuthMode): SetupStep =>
  mode === 'oauth1' ? 'application-link' : mode === 'pat' || mode === 'basic' ? 'diagnostics' : 'authorize';

// ---- CRUD --------------------------------------------------------------------------------------

async function assertNameFree(deps: ConnectionDeps, name: string, exceptId?: string): Promise<void> {
  const rows = await deps.store.db.selectFrom('jira_instances').select(['id', 'name']).execute();
  const clash = rows.find((r) => r.name.toLowerCase() === name.toLowerCase() && r.id !== exceptId);
  if (clash) {
    throw new AppError('jira_instance_name_taken', `A Jira instance named "${clash.name}" already exists.`, {
      status: 409,
      hint: 'Choose another name; names tell instances apart in the UI and the CLI.',
    });
  }
}

export async function createInstance(
  deps: ConnectionDeps,
  input: InstanceInput,
  options: { createdBy?: string } = {},
): Promise<InstanceRow> {
  const jiraUrl = normalizeUrl(input.jiraUrl, 'Jira URL', 'https://jira.example.com');
  const baseUrl = input.baseUrl?.trim()
    ? normalizeUrl(input.baseUrl, 'Jira base URL', 'https://jira.example.com')
    : jiraUrl;
  const proxyUrl = input.proxyUrl?.trim() || undefined;
  checkNetwork(proxyUrl, input.tls);
  modeAllowedFor(input.auth.mode, baseUrl);
  await assertNameFree(deps, input.name);
  const prepared = await prepareAuth(input.auth);
  const id = randomUUID();
  const now = isoNow(deps);
  const row: InstanceRow = {
    id,
    name: input.name,
    jira_url: jiraUrl,
    base_url: baseUrl,
    proxy_host: proxyUrl ? new URL(proxyUrl).host : null,
    proxy_url_sealed: proxyUrl ? await sealJson(deps, proxyUrl, sealContext(id, 'proxy')) : null,
    tls_verify: input.tls?.verify === false ? 0 : 1,
    ca_pem: input.tls?.caPem?.trim() || null,
    auth_mode: input.auth.mode,
    auth_json: JSON.stringify(prepared.facts),
    credentials_sealed: await sealJson(deps, prepared.credentials, sealContext(id, 'credentials')),
    tokens_sealed: null,
    tokens_version: 0,
    token_expires_at: null,
    status: 'setup',
    status_message: null,
    setup_step: firstStep(input.auth.mode),
    deployment_json: null,
    acting_user: null,
    last_diagnostics_json: null,
    last_diagnostics_at: null,
    created_by: options.createdBy ?? null,
    created_at: now,
    updated_at: now,
  };
  try {
    await deps.store.db.insertInto('jira_instances').values(row).execute();
  } catch (cause) {
    // Two admins adding the same name at once: the unique index decides.
    if (/unique/i.test(String((cause as Error).message))) await assertNameFree(deps, input.name);
    throw cause;
  }
  deps.logger.info({ instanceId: id, authMode: row.auth_mode }, 'Jira instance created');
  return row;
}

export async function findInstance(deps: Pick<ConnectionDeps, 'store'>, id: string) {
  return deps.store.db.selectFrom('jira_instances').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The instance row, or a 404 AppError. Accepts the id or (CLI convenience) the exact name. */
export async function getInstance(db: ConnectionDeps['store']['db'], idOrName: string): Promise<InstanceRow> {
  const row =
    (await db.selectFrom('jira_instances').selectAll().where('id', '=', idOrName).executeTakeFirst()) ??
    (await db.selectFrom('jira_instances').selectAll().where('name', '=', idOrName).executeTakeFirst());
  if (!row) {
    throw notFound(
      `Jira instance "${idOrName.slice(0, 100)}"`,
      'List the instances (GET /api/jira/instances or `testbridge jira list`) and use one of their ids.',
    );
  }
  return row;
}

export async function listInstances(db: ConnectionDeps['store']['db']): Promise<InstanceRow[]> {
  return db.selectFrom('jira_instances').selectAll().orderBy('name').execute();
}

export async function updateInstance(
  deps: ConnectionDeps,
  id: string,
  update: InstanceUpdate,
): Promise<InstanceRow> {
  const row = await getInstance(deps.store.db, id);
  const patch: Partial<InstanceRow> = {};
  let connectionChanged = false;
  if (update.name !== undefined && update.name !== row.name) {
    await assertNameFree(deps, update.name, row.id);
    patch.name = update.name;
  }
  if (update.jiraUrl !== undefined) {
    patch.jira_url = normalizeUrl(update.jiraUrl, 'Jira URL', 'https://jira.example.com');
    // Another address may be another Jira: forget what the old one said it was.
    if (patch.jira_url !== row.jira_url) patch.deployment_json = null;
    connectionChanged = true;
  }
  if (update.baseUrl !== undefined) {
    patch.base_url = update.baseUrl.trim()
      ? normalizeUrl(update.baseUrl, 'Jira base URL', 'https://jira.example.com')
      : (patch.jira_url ?? row.jira_url);
    connectionChanged = true;
  }
  if (update.proxyUrl !== undefined || update.tls !== undefined) {
    const proxyUrl =
      update.proxyUrl === undefined ? await openProxyUrl(deps, row) : update.proxyUrl || undefined;
    const tls = {
      verify: update.tls?.verify ?? row.tls_verify === 1,
      caPem: update.tls?.caPem ?? row.ca_pem ?? undefined,
    };
    checkNetwork(proxyUrl, tls);
    if (update.proxyUrl !== undefined) {
      patch.proxy_host = proxyUrl ? new URL(proxyUrl).host : null;
      patch.proxy_url_sealed = proxyUrl ? await sealJson(deps, proxyUrl, sealContext(row.id, 'proxy')) : null;
    }
    patch.tls_verify = tls.verify ? 1 : 0;
    patch.ca_pem = tls.caPem?.trim() || null;
    connectionChanged = true;
  }
  if (update.auth !== undefined) {
    modeAllowedFor(update.auth.mode, patch.base_url ?? row.base_url);
    const prepared = await prepareAuth(
      update.auth,
      row.auth_mode === 'oauth1' && row.credentials_sealed
        ? { facts: authFactsOf(row), credentials: await openCredentials(deps, row) }
        : undefined,
    );
    patch.auth_mode = update.auth.mode;
    patch.auth_json = JSON.stringify(prepared.facts);
    patch.credentials_sealed = await sealJson(deps, prepared.credentials, sealContext(row.id, 'credentials'));
    // New credentials invalidate the old authorization: the admin authorizes again.
    patch.tokens_sealed = null;
    patch.tokens_version = row.tokens_version + 1;
    patch.token_expires_at = null;
    patch.status = 'setup';
    patch.status_message = null;
    patch.setup_step = firstStep(update.auth.mode);
    forgetTokenManager(deps, row.id);
  } else if (connectionChanged && row.status !== 'setup') {
    patch.status_message = 'Connection settings changed: run the diagnostics again.';
  }
  if (Object.keys(patch).length === 0) return row;
  patch.updated_at = isoNow(deps);
  await deps.store.db.updateTable('jira_instances').set(patch).where('id', '=', row.id).execute();
  deps.logger.info({ instanceId: row.id, fields: Object.keys(patch) }, 'Jira instance updated');
  return getInstance(deps.store.db, row.id);
}

/** Project mappings per instance (the sync's table): shown in the list, and they block removal. */
export async function mappingCounts(db: ConnectionDeps['store']['db']): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('sync_mappings')
    .select((eb) => ['jira_instance_id', eb.fn.countAll<string | number>().as('n')])
    .groupBy('jira_instance_id')
    .execute();
  return new Map(rows.map((r) => [r.jira_instance_id, Number(r.n)]));
}

export async function removeInstance(deps: ConnectionDeps, id: string): Promise<void> {
  const row = await getInstance(deps.store.db, id);
  const mapped = (await mappingCounts(deps.store.db)).get(row.id) ?? 0;
  if (mapped > 0) {
    throw new AppError(
      'jira_instance_in_use',
      `Jira instance "${row.name}" still has ${mapped} project mapping${mapped === 1 ? '' : 's'}.`,
      {
        status: 409,
        hint: 'Remove its project mappings first (that also removes the webhooks Testbridge created in Jira), then remove the instance.',
      },
    );
  }
  await deps.store.db.deleteFrom('jira_authorizations').where('instance_id', '=', row.id).execute();
  await deps.store.db.deleteFrom('jira_instances').where('id', '=', row.id).execute();
  forgetTokenManager(deps, row.id);
  deps.logger.info({ instanceId: row.id }, 'Jira instance removed');
}

export async function setStatus(
  deps: ConnectionDeps,
  id: string,
  status: InstanceStatus,
  message: string | null,
  extra: Partial<InstanceRow> = {},
): Promise<void> {
  await deps.store.db
    .updateTable('jira_instances')
    .set({ ...extra, status, status_message: message, updated_at: isoNow(deps) })
    .where('id', '=', id)
    .execute();
}

/** Stores new tokens in one statement (access + refresh together), bumping the version. */
export async function storeTokens(
  deps: ConnectionDeps,
  id: string,
  tokens: Tokens,
  expiresAt: string | null,
  options: { expectedVersion?: number } = {},
): Promise<number> {
  const sealed = await sealJson(deps, tokens, sealContext(id, 'tokens'));
  let query = deps.store.db
    .updateTable('jira_instances')
    .set((eb) => ({
      tokens_sealed: sealed,
      tokens_version: eb('tokens_version', '+', 1),
      token_expires_at: expiresAt,
      updated_at: isoNow(deps),
    }))
    .where('id', '=', id);
  if (options.expectedVersion !== undefined)
    query = query.where('tokens_version', '=', options.expectedVersion);
  const result = await query.executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) {
    // Lost a race (another process stored newer tokens): the caller decides what to do.
    return -1;
  }
  const row = await deps.store.db
    .selectFrom('jira_instances')
    .select('tokens_version')
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return row.tokens_version;
}

// ---- views -------------------------------------------------------------------------------------

export type NextAction = { step: SetupStep; action: string; hint: string };

export function nextAction(row: InstanceRow): NextAction {
  const step = row.setup_step as SetupStep;
  const id = row.id;
  switch (step) {
    case 'application-link':
      return {
        step,
        action: `Create the application link in Jira with the values of GET /api/jira/instances/${id}/application-link, then POST /api/jira/instances/${id}/authorize.`,
        hint: 'Testbridge then fetches a request token and shows the authorization URL, or explains what Jira refused.',
      };
    case 'authorize':
      return row.auth_mode === 'oauth1' || row.auth_mode.startsWith('oauth2')
        ? {
            step,
            action: `POST /api/jira/instances/${id}/authorize for the authorization URL, open it, log in as the integration user and click Allow.`,
            hint:
              row.auth_mode === 'oauth1'
                ? 'Jira redirects back to Testbridge by itself; if it shows a verification code instead, POST it to /verify.'
                : 'Jira redirects back to Testbridge, which completes the authorization.',
          }
        : {
            step,
            action: 'Enter the credentials again.',
            hint: 'PATCH the instance with its auth settings.',
          };
    case 'credentials':
      return {
        step,
        action: `Correct the credentials (PATCH /api/jira/instances/${id}), then run the diagnostics.`,
        hint: 'Jira did not accept them; the last diagnostics say why.',
      };
    case 'diagnostics':
      return {
        step,
        action: `Run the diagnostics: POST /api/jira/instances/${id}/diagnostics.`,
        hint: 'They check reachability, TLS, version, base URL, clock, authentication and permissions.',
      };
    default:
      if (row.status === 'needs_reauthorization') {
        return {
          step: 'authorize',
          action: `Authorize again: POST /api/jira/instances/${id}/authorize.`,
          hint: 'Jira no longer accepts the stored token (revoked or expired).',
        };
      }
      return {
        step: 'done',
        action: 'Nothing: the connection is set up. Map a project to start syncing.',
        hint: 'Re-run the diagnostics whenever something looks wrong.',
      };
  }
}

export type InstanceView = {
  id: string;
  name: string;
  jiraUrl: string;
  baseUrl: string;
  proxy: { enabled: boolean; host: string | null };
  tls: { verify: boolean; customCa: boolean };
  authMode: JiraAuthMode;
  auth: Record<string, unknown>;
  authorized: boolean;
  credentialExpiresAt: string | null;
  status: InstanceStatus;
  statusMessage: string | null;
  setupStep: SetupStep;
  next: NextAction;
  deployment: (JiraDeployment & { version?: string }) | null;
  actingUser: string | null;
  lastDiagnostics: { at: string; ok: boolean; summary: string } | null;
  mappings: number;
  createdAt: string;
  updatedAt: string;
};

/** The instance as the API and CLI show it: no secret, only facts and flags. */
export function instanceView(row: InstanceRow, mappings = 0): InstanceView {
  const facts = authFactsOf(row);
  const auth: Record<string, unknown> = { ...facts };
  delete auth.mode;
  if (facts.mode === 'oauth1') {
    auth.privateKeySet = row.credentials_sealed !== null;
    auth.publicKeyBody = publicKeyBodyOf(facts.publicKeyPem);
  } else if (facts.mode === 'oauth2-cloud' || facts.mode === 'oauth2-dc') {
    auth.clientSecretSet = row.credentials_sealed !== null;
  } else if (facts.mode === 'pat') {
    auth.tokenSet = row.credentials_sealed !== null;
  } else {
    auth.passwordSet = row.credentials_sealed !== null;
  }
  const report = row.last_diagnostics_json
    ? (JSON.parse(row.last_diagnostics_json) as DiagnosticsReport)
    : null;
  return {
    id: row.id,
    name: row.name,
    jiraUrl: row.jira_url,
    baseUrl: row.base_url,
    proxy: { enabled: row.proxy_host !== null, host: row.proxy_host },
    tls: { verify: row.tls_verify === 1, customCa: row.ca_pem !== null },
    authMode: row.auth_mode,
    auth,
    authorized:
      row.auth_mode === 'pat' || row.auth_mode === 'basic'
        ? row.credentials_sealed !== null
        : row.tokens_sealed !== null,
    credentialExpiresAt: row.token_expires_at,
    status: row.status as InstanceStatus,
    statusMessage: row.status_message,
    setupStep: row.setup_step as SetupStep,
    next: nextAction(row),
    deployment: deploymentOf(row) ?? null,
    actingUser: row.acting_user,
    lastDiagnostics: report ? { at: report.finishedAt, ok: report.ok, summary: report.summary } : null,
    mappings,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** What Jira's application link dialog wants: the SPKI base64 without BEGIN/END lines. */
export const publicKeyBodyOf = (publicKeyPem: string): string =>
  publicKeyPem.replace(/-----[^-]+-----|\s/g, '');

// ---- token managers (OAuth 2.0), kept here so updates and removals can forget them ---------

type ManagerEntry = { version: number; manager: unknown };
const managers = new WeakMap<object, Map<string, ManagerEntry>>();

export function tokenManagerCache(deps: Pick<ConnectionDeps, 'store'>): Map<string, ManagerEntry> {
  let map = managers.get(deps.store.db);
  if (!map) {
    map = new Map();
    managers.set(deps.store.db, map);
  }
  return map;
}

export function forgetTokenManager(deps: Pick<ConnectionDeps, 'store'>, instanceId: string): void {
  tokenManagerCache(deps).delete(instanceId);
}

export { type JiraClientForOptions, jiraClientFor } from './connection-client.js';
