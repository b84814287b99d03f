/**
 * `testbridge jira add|list|show|authorize|diagnose|remove`: the connection services on the
 * configured store (same config as the server), so an administrator can connect Jira without
 * a browser session. Secrets come from files or environment variables, never from the
 * command line, where `ps` and the shell history would keep them.
 */
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { type Config, loadConfig } from '../config/config.js';
import { AppError } from '../errors.js';
import { applicationLinkGuide } from '../integration/application-link.js';
import { completeOAuth1Authorization } from '../integration/authorize-oauth1.js';
import { startAuthorization } from '../integration/callback.js';
import type { ConnectionDeps } from '../integration/deps.js';
import { detectDeployment } from '../integration/detect.js';
import { runDiagnostics } from '../integration/diagnostics/run.js';
import type { DiagnosticsReport } from '../integration/diagnostics/types.js';
import {
  type AuthInput,
  createInstance,
  getInstance,
  type InstanceView,
  instanceView,
  invalidInput,
  instanceInputSchema,
  listInstances,
  removeInstance,
} from '../integration/instances.js';
import { cliActor, pendingOutcome } from '../integration/pending.js';
import { createLogger } from '../log.js';
import { openStore, type Store } from '../store/store.js';
import { loadMasterKey, Vault, verifyMasterKey } from '../store/vault.js';

export type CliIo = {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Reads one line from the terminal (the pasted verification code). */
  prompt?: (question: string) => Promise<string>;
  /** Tests shorten the polling interval. */
  pollMs?: number;
  /** Sets the exit status (1 when diagnostics fail); process.exitCode by default. */
  setExitCode?: (code: number) => void;
};

function fail(io: CliIo): void {
  if (io.setExitCode) io.setExitCode(1);
  else process.exitCode = 1;
}

type StoreOptions = { dataDir?: string; databaseUrl?: string; publicUrl?: string; json?: boolean };

type Context = { deps: ConnectionDeps & { store: Store }; config: Config; close: () => Promise<void> };

async function openContext(opts: StoreOptions, io: CliIo): Promise<Context> {
  const config = loadConfig(
    { dataDir: opts.dataDir, databaseUrl: opts.databaseUrl, publicUrl: opts.publicUrl },
    io.env,
  );
  // Diagnostics on stderr, and quiet: stdout is for the answer, which scripts may parse.
  const logger = createLogger(io.env.LOG_LEVEL ?? 'warn', io.err);
  const key = loadMasterKey(config);
  for (const w of key.warnings) logger.warn(w);
  const store = await openStore({ databaseUrl: config.databaseUrl, dialect: config.dialect, logger });
  try {
    await store.migrate();
    const vault = new Vault(key);
    await verifyMasterKey(store.db, vault);
    return { deps: { store, vault, logger, config }, config, close: () => store.close() };
  } catch (e) {
    await store.close();
    throw e;
  }
}

async function withContext<T>(opts: StoreOptions, io: CliIo, fn: (ctx: Context) => Promise<T>): Promise<T> {
  const ctx = await openContext(opts, io);
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

const storeOptions = (cmd: Command) =>
  cmd
    .option('--data-dir <dir>', 'where the SQLite file and the master key live (env TESTBRIDGE_DATA_DIR)')
    .option('--database-url <url>', 'postgres://… for PostgreSQL (env DATABASE_URL); default SQLite')
    .option(
      '--public-url <url>',
      "Testbridge's public URL, for the OAuth callback (env TESTBRIDGE_PUBLIC_URL)",
    )
    .option('--json', 'print JSON instead of text');

async function readSecret(
  opts: { secretFile?: string; secretEnv?: string },
  io: CliIo,
  what: string,
  flagHint: string,
): Promise<string> {
  if (opts.secretFile) {
    try {
      return (await readFile(opts.secretFile, 'utf8')).trim();
    } catch (cause) {
      throw new AppError('cli_file_unreadable', `Cannot read the ${what} file ${opts.secretFile}.`, {
        hint: 'Check the path and that you may read the file.',
        cause,
      });
    }
  }
  if (opts.secretEnv) {
    const value = io.env[opts.secretEnv];
    if (!value) {
      throw new AppError('cli_invalid_option', `The environment variable ${opts.secretEnv} is not set.`, {
        hint: `Export ${opts.secretEnv} with the ${what}, or use --secret-file.`,
      });
    }
    return value.trim();
  }
  throw new AppError('cli_invalid_option', `The ${what} is missing.`, {
    hint: `${flagHint} Secrets are never taken from the command line itself.`,
  });
}

const write = (io: CliIo, text: string) => io.out.write(text.endsWith('\n') ? text : `${text}\n`);

function describeInstance(v: InstanceView): string {
  const lines = [
    `${v.name}  (${v.id})`,
    `  Jira URL:       ${v.jiraUrl}`,
    ...(v.baseUrl !== v.jiraUrl ? [`  Jira base URL:  ${v.baseUrl}`] : []),
    ...(v.proxy.enabled ? [`  Proxy:          ${v.proxy.host}`] : []),
    `  TLS:            ${v.tls.verify ? 'verified' : 'NOT verified'}${v.tls.customCa ? ' (custom CA)' : ''}`,
    `  Auth mode:      ${v.authMode}`,
    ...Object.entries(v.auth)
      .filter(([k]) => !['publicKeyPem', 'publicKeyBody', 'warnings', 'endpoints', 'scopes'].includes(k))
      .map(([k, val]) => `    ${k}: ${typeof val === 'object' ? JSON.stringify(val) : String(val)}`),
    `  Status:         ${v.status}${v.statusMessage ? ` - ${v.statusMessage}` : ''}`,
    `  Setup step:     ${v.setupStep}`,
    ...(v.deployment
      ? [`  Jira:           ${v.deployment.deploymentType} ${v.deployment.version ?? v.deployment.major}`]
      : []),
    ...(v.actingUser ? [`  Acts as:        ${v.actingUser}`] : []),
    ...(v.credentialExpiresAt ? [`  Token expires:  ${v.credentialExpiresAt}`] : []),
    ...(v.lastDiagnostics
      ? [`  Diagnostics:    ${v.lastDiagnostics.summary} (${v.lastDiagnostics.at})`]
      : []),
    `  Next:           ${v.next.action}`,
  ];
  return lines.join('\n');
}

const MARK: Record<string, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' };

function describeReport(r: DiagnosticsReport): string {
  const lines = r.checks.map((c) => {
    const head = `${MARK[c.status]}  ${c.title}: ${c.message} (${c.ms} ms)`;
    return c.hint && c.status !== 'pass' ? `${head}\n      -> ${c.hint}` : head;
  });
  return [...lines, '', r.summary].join('\n');
}

async function waitForCallback(deps: ConnectionDeps, authorizationId: string, io: CliIo, seconds: number) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const outcome = await pendingOutcome(deps, authorizationId);
    if (outcome.status === 'completed') return;
    if (outcome.status === 'failed' && outcome.error) {
      throw new AppError(outcome.error.code, outcome.error.message, { hint: outcome.error.hint ?? '' });
    }
    await new Promise((r) => setTimeout(r, io.pollMs ?? 2000));
  }
  throw new AppError('oauth_authorization_timeout', `No callback arrived within ${seconds} seconds.`, {
    hint: 'Check that the Testbridge server is running at the public URL (it receives the callback), or run again with --oob and paste the code, or pass --verifier.',
  });
}

export function registerJira(
  program: Command,
  io: CliIo = { out: process.stdout, err: process.stderr, env: process.env },
): void {
  const jira = program.command('jira').description('Jira connections: add, authorize, diagnose');

  storeOptions(
    jira
      .command('add')
      .description('add a Jira instance (prints the application link values for oauth1)')
      .requiredOption('--name <name>', 'a name for the connection')
      .requiredOption('--jira-url <url>', 'where Testbridge sends requests, e.g. https://jira.example.com')
      .option(
        '--base-url <url>',
        "Jira's own base URL, when Jira sits behind a proxy (default: the Jira URL)",
      )
      .option('--proxy-url <url>', 'outbound HTTP(S) proxy to reach Jira through')
      .option('--no-tls-verify', 'do not verify the TLS certificate (not recommended)')
      .option('--ca-file <file>', "a PEM file with your organisation's CA certificate")
      .requiredOption('--auth <mode>', 'oauth1, oauth2-cloud, oauth2-dc, pat or basic')
      .option('--consumer-key <key>', 'oauth1: the consumer key of the application link')
      .option('--consumer-name <name>', 'oauth1: the consumer name shown in Jira (default Testbridge)')
      .option('--private-key-file <file>', 'oauth1: use this private key instead of generating one')
      .option('--key-bits <bits>', 'oauth1: size of the generated key (default 2048)')
      .option('--client-id <id>', 'oauth2: the client id of the app')
      .option('--username <name>', 'basic: the Jira user name (on Cloud: the account e-mail)')
      .option('--secret-file <file>', 'file with the secret: client secret, PAT, or password/API token')
      .option('--secret-env <var>', 'environment variable holding that secret')
      .option('--authorization-endpoint <url>', 'oauth2-cloud: override (tests, demo mode)')
      .option('--token-endpoint <url>', 'oauth2-cloud: override (tests, demo mode)')
      .option('--accessible-resources-endpoint <url>', 'oauth2-cloud: override (tests, demo mode)')
      .option('--api-gateway <url>', 'oauth2-cloud: override (tests, demo mode)'),
  ).action(async (opts: Record<string, string | boolean | undefined> & StoreOptions) => {
    const s = (k: string) => (typeof opts[k] === 'string' ? (opts[k] as string) : undefined);
    const mode = s('auth');
    let auth: Record<string, unknown>;
    const secretOpts = { secretFile: s('secretFile'), secretEnv: s('secretEnv') };
    switch (mode) {
      case 'oauth1':
        auth = {
          mode,
          consumerKey: s('consumerKey'),
          ...(s('consumerName') ? { consumerName: s('consumerName') } : {}),
          ...(s('privateKeyFile')
            ? { privateKey: await readSecret({ secretFile: s('privateKeyFile') }, io, 'private key', '') }
            : {}),
          ...(s('keyBits') ? { keyBits: Number(s('keyBits')) } : {}),
        };
        break;
      case 'oauth2-cloud':
      case 'oauth2-dc': {
        const endpoints = {
          ...(s('authorizationEndpoint') ? { authorizationEndpoint: s('authorizationEndpoint') } : {}),
          ...(s('tokenEndpoint') ? { tokenEndpoint: s('tokenEndpoint') } : {}),
          ...(s('accessibleResourcesEndpoint')
            ? { accessibleResourcesEndpoint: s('accessibleResourcesEndpoint') }
            : {}),
          ...(s('apiGateway') ? { apiGateway: s('apiGateway') } : {}),
        };
        auth = {
          mode,
          clientId: s('clientId'),
          clientSecret: await readSecret(
            secretOpts,
            io,
            'client secret',
            'Pass --secret-file or --secret-env.',
          ),
          ...(mode === 'oauth2-cloud' && Object.keys(endpoints).length ? { endpoints } : {}),
        };
        break;
      }
      case 'pat':
        auth = {
          mode,
          token: await readSecret(
            secretOpts,
            io,
            'personal access token',
            'Pass --secret-file or --secret-env.',
          ),
        };
        break;
      case 'basic':
        auth = {
          mode,
          username: s('username'),
          password: await readSecret(
            secretOpts,
            io,
            'password (API token on Cloud)',
            'Pass --secret-file or --secret-env.',
          ),
        };
        break;
      default:
        throw new AppError(
          'cli_invalid_option',
          `--auth must be oauth1, oauth2-cloud, oauth2-dc, pat or basic (got ${mode}).`,
          {
            hint: 'For example --auth oauth1 --consumer-key testbridge.',
          },
        );
    }
    const caPem = s('caFile')
      ? await readSecret({ secretFile: s('caFile') }, io, 'CA certificate', '')
      : undefined;
    const parsed = instanceInputSchema.safeParse({
      name: s('name'),
      jiraUrl: s('jiraUrl'),
      ...(s('baseUrl') ? { baseUrl: s('baseUrl') } : {}),
      ...(s('proxyUrl') ? { proxyUrl: s('proxyUrl') } : {}),
      tls: { verify: opts.tlsVerify !== false, ...(caPem ? { caPem } : {}) },
      auth: auth as AuthInput,
    });
    if (!parsed.success)
      throw invalidInput(parsed.error, 'the options shown by `testbridge jira add --help`');
    await withContext(opts, io, async ({ deps }) => {
      const row = await createInstance(deps, parsed.data, { createdBy: cliActor(userInfo().username) });
      const report =
        row.auth_mode === 'pat' || row.auth_mode === 'basic' ? await runDiagnostics(deps, row.id) : undefined;
      const fresh = await getInstance(deps.store.db, row.id);
      const guide =
        row.auth_mode === 'oauth1'
          ? applicationLinkGuide(deps, fresh, await detectDeployment(deps, fresh))
          : undefined;
      if (opts.json) {
        write(
          io,
          JSON.stringify(
            {
              instance: instanceView(fresh),
              ...(guide ? { applicationLink: guide } : {}),
              ...(report ? { diagnostics: report } : {}),
            },
            null,
            2,
          ),
        );
        return;
      }
      write(io, `Added Jira instance ${fresh.name} (${fresh.id}).`);
      if (guide) {
        const v = guide.values;
        write(
          io,
          [
            '',
            'Create the application link in Jira with these values:',
            `  Application URL:  ${v.applicationUrl}`,
            `  Application name: ${v.applicationName}`,
            `  Consumer key:     ${v.consumerKey}`,
            `  Consumer name:    ${v.consumerName}`,
            `  Callback URL:     ${v.callbackUrl}`,
            '  Public key:',
            v.publicKey,
            '',
            ...guide.variants.flatMap((variant) => [
              `Steps for ${variant.variant}:`,
              ...variant.steps.map((step, i) => `  ${i + 1}. ${step}`),
              '',
            ]),
            `Then run: testbridge jira authorize ${fresh.id}`,
          ].join('\n'),
        );
      }
      if (report) write(io, `\n${describeReport(report)}`);
      if (report && !report.ok) fail(io);
    });
  });

  storeOptions(jira.command('list').description('list the Jira instances')).action(
    async (opts: StoreOptions) => {
      await withContext(opts, io, async ({ deps }) => {
        const views = (await listInstances(deps.store.db)).map(instanceView);
        if (opts.json) return void write(io, JSON.stringify({ instances: views }, null, 2));
        if (views.length === 0)
          return void write(io, 'No Jira instances yet. Add one with `testbridge jira add`.');
        for (const v of views) write(io, `${v.id}  ${v.name}  ${v.authMode}  ${v.status}  ${v.baseUrl}`);
      });
    },
  );

  storeOptions(jira.command('show <instance>').description('show one instance (id or name)')).action(
    async (instance: string, opts: StoreOptions) => {
      await withContext(opts, io, async ({ deps }) => {
        const row = await getInstance(deps.store.db, instance);
        const view = instanceView(row);
        if (opts.json) {
          return void write(
            io,
            JSON.stringify(
              {
                ...view,
                diagnostics: row.last_diagnostics_json ? JSON.parse(row.last_diagnostics_json) : null,
              },
              null,
              2,
            ),
          );
        }
        write(io, describeInstance(view));
      });
    },
  );

  storeOptions(
    jira
      .command('authorize <instance>')
      .description('authorize Testbridge in Jira: prints the URL, then waits for the callback or the code')
      .option(
        '--verifier <code>',
        'complete the pending OAuth 1.0a authorization with this verification code',
      )
      .option('--oob', 'OAuth 1.0a: have Jira show a code to paste instead of calling back')
      .option('--no-wait', 'print the authorization URL and exit (finish later with --verifier)')
      .option('--timeout <seconds>', 'how long to wait for the callback', '600'),
  ).action(
    async (
      instance: string,
      opts: StoreOptions & { verifier?: string; oob?: boolean; wait?: boolean; timeout: string },
    ) => {
      await withContext(opts, io, async ({ deps }) => {
        const actor = cliActor(userInfo().username);
        const row = await getInstance(deps.store.db, instance);
        const finish = async (verifier: string) => {
          const result = await completeOAuth1Authorization(deps, { instanceId: row.id, verifier, actor });
          if (opts.json)
            write(io, JSON.stringify({ authorized: true, diagnostics: result.diagnostics }, null, 2));
          else write(io, `Authorized. Diagnostics:\n${describeReport(result.diagnostics)}`);
          if (!result.diagnostics.ok) fail(io);
        };
        if (opts.verifier !== undefined) return finish(opts.verifier);

        const started = await startAuthorization(deps, row.id, {
          startedBy: actor,
          ...(opts.oob ? { oob: true } : {}),
        });
        if (opts.json && opts.wait === false) return void write(io, JSON.stringify(started, null, 2));
        write(
          io,
          `Open this URL, log in to Jira as the integration user and click Allow:\n\n  ${started.authorizationUrl}\n`,
        );
        if (opts.wait === false) {
          return void write(
            io,
            started.callback === 'oob'
              ? `Then run: testbridge jira authorize ${row.id} --verifier CODE`
              : `Jira then calls back ${started.callback}; a running Testbridge server completes it. If the browser shows a code instead, run: testbridge jira authorize ${row.id} --verifier CODE`,
          );
        }
        if (started.callback === 'oob') {
          const ask =
            io.prompt ??
            (async (q: string) => {
              const rl = createInterface({ input: process.stdin, output: process.stderr });
              try {
                return await rl.question(q);
              } finally {
                rl.close();
              }
            });
          return finish(await ask('Verification code shown by Jira: '));
        }
        write(
          io,
          `Waiting for Jira to call back ${started.callback} (a running Testbridge server receives it)…`,
        );
        await waitForCallback(deps, started.authorizationId, io, Number(opts.timeout) || 600);
        const report = JSON.parse(
          (await getInstance(deps.store.db, row.id)).last_diagnostics_json ?? 'null',
        ) as DiagnosticsReport | null;
        if (opts.json) write(io, JSON.stringify({ authorized: true, diagnostics: report }, null, 2));
        else write(io, `Authorized.${report ? `\n${describeReport(report)}` : ''}`);
        if (report && !report.ok) fail(io);
      });
    },
  );

  storeOptions(
    jira
      .command('diagnose <instance>')
      .description('run the connection diagnostics (exit code 1 when a check fails)')
      .option('--project <key...>', 'also check permissions in these Jira projects'),
  ).action(async (instance: string, opts: StoreOptions & { project?: string[] }) => {
    await withContext(opts, io, async ({ deps }) => {
      const row = await getInstance(deps.store.db, instance);
      const report = await runDiagnostics(deps, row.id, opts.project ? { projectKeys: opts.project } : {});
      write(io, opts.json ? JSON.stringify(report, null, 2) : describeReport(report));
      if (!report.ok) fail(io);
    });
  });

  storeOptions(
    jira
      .command('remove <instance>')
      .description('remove an instance and its stored credentials')
      .option('--yes', 'do not ask'),
  ).action(async (instance: string, opts: StoreOptions & { yes?: boolean }) => {
    if (!opts.yes) {
      throw new AppError(
        'cli_confirmation_required',
        'Removing an instance deletes its stored credentials.',
        {
          hint: `Run again with --yes to confirm: testbridge jira remove ${instance} --yes`,
        },
      );
    }
    await withContext(opts, io, async ({ deps }) => {
      const row = await getInstance(deps.store.db, instance);
      await removeInstance(deps, row.id);
      write(
        io,
        opts.json ? JSON.stringify({ removed: row.id }) : `Removed Jira instance ${row.name} (${row.id}).`,
      );
    });
  });
}
