import { Command, InvalidArgumentError, Option } from 'commander';
import { flavorInfo } from './flavors.js';
import { type JiraSim, JiraSimConfigError, createJiraSim } from './server.js';

function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number.`);
    const parsed = Number(value);
    if (parsed < min || parsed > max)
      throw new InvalidArgumentError(`${name} must be between ${min} and ${max}.`);
    return parsed;
  };
}

/** `600000`, `-90s`, `10m`, `2h`, `1d`: a clock skew is easier to give in human units. */
export function parseDuration(value: string): number {
  const match = /^(-?\d+)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!match)
    throw new InvalidArgumentError('use milliseconds or a number with s, m, h or d, e.g. 10m or -90s.');
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] ?? 'ms']!;
  return Number(match[1]) * unit;
}

export function describeSim(sim: JiraSim): string {
  const { ctx } = sim;
  const info = flavorInfo(ctx.flavor);
  const lines = [
    `jira-sim: Jira ${info.deploymentType} ${info.version} (flavor ${ctx.flavor}) listening on ${sim.url}`,
    `  base URL:            ${sim.baseUrl}${sim.baseUrl === sim.url ? '' : '  (signatures are checked against this address)'}`,
    `  REST API:            ${sim.url}/rest/api/2/serverInfo`,
  ];
  if (ctx.flavor === 'cloud') {
    lines.push(
      `  OAuth 2.0 (3LO):     ${sim.url}/authorize, ${sim.url}/oauth/token, ${sim.url}/oauth/token/accessible-resources`,
      `  API gateway:         ${sim.url}/ex/jira/${sim.cloudId}/rest/api/3/...  (cloud id ${sim.cloudId})`,
    );
  } else if (ctx.flavor !== 'server') {
    lines.push(
      `  OAuth 2.0 (PKCE):    ${sim.url}/rest/oauth2/latest/authorize, ${sim.url}/rest/oauth2/latest/token`,
    );
  }
  lines.push(
    `  OAuth 1.0a:          ${sim.url}/plugins/servlet/oauth/{request-token,authorize,access-token}`,
    `  application links:   ${sim.url}/plugins/servlet/applinks/listApplicationLinks`,
    `  simulator admin API: ${sim.url}/rest/sim/1.0/{application-links,oauth2/clients,pats,users,faults,clock,reset,seed}`,
    '  users (login / password):',
  );
  for (const user of ctx.users.values()) {
    const permissions = user.permissions.size === 0 ? 'no permissions' : [...user.permissions].join(',');
    const cloud = ctx.flavor === 'cloud' ? `  email ${user.emailAddress}  API token ${user.apiToken}` : '';
    lines.push(`    ${user.name} / ${user.password}${cloud}  [${permissions}]`);
  }
  return lines.join('\n');
}

/** The `jira-sim` command. Resolves with the running simulator (or undefined when it could not start). */
export async function main(argv: string[]): Promise<JiraSim | undefined> {
  const program = new Command('jira-sim')
    .description('A Jira stand-in for tests, benchmarks and offline demos.')
    .addOption(
      new Option('--port <port>', 'port to listen on (0 picks a free one)')
        .default(2990)
        .argParser(integer('--port', 0, 65535)),
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .addOption(
      new Option('--flavor <flavor>', 'which Jira to be')
        .choices(['cloud', 'server', 'dc9', 'dc10'])
        .default('server'),
    )
    .option('--base-url <url>', "Jira's own idea of its address (differs behind a reverse proxy)")
    .option('--context-path <path>', 'context path such as /jira', '')
    .option('--exit-with-parent', 'stop when standard input closes (the process that started jira-sim died)')
    .addOption(
      new Option('--clock-offset <duration>', 'skew of the simulated clock (ms, or 10m, -90s, 2h)')
        .default(0)
        .argParser(parseDuration),
    )
    .addOption(
      new Option('--seed-issues <count>', 'issues to generate at start')
        .default(0)
        .argParser(integer('--seed-issues', 0, 10_000_000)),
    )
    .addOption(
      new Option('--seed <seed>', 'seed for generated data and credentials')
        .default(1)
        .argParser(integer('--seed', 0, 2 ** 31)),
    )
    .exitOverride();

  try {
    program.parse(argv);
  } catch (error) {
    // Commander has already printed the problem (or the help text).
    const code = (error as { exitCode?: number }).exitCode ?? 1;
    process.exitCode = code;
    return undefined;
  }
  const options = program.opts<{
    port: number;
    host: string;
    flavor: 'cloud' | 'server' | 'dc9' | 'dc10';
    baseUrl?: string;
    contextPath: string;
    clockOffset: number;
    seedIssues: number;
    seed: number;
    exitWithParent?: boolean;
  }>();

  let sim: JiraSim;
  try {
    sim = await createJiraSim({
      port: options.port,
      host: options.host,
      flavor: options.flavor,
      contextPath: options.contextPath,
      clockOffsetMs: options.clockOffset,
      seedIssues: options.seedIssues,
      seed: options.seed,
      ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
    });
  } catch (error) {
    if (error instanceof JiraSimConfigError) {
      process.stderr.write(`jira-sim: ${error.message}\n`);
      process.exitCode = 2;
      return undefined;
    }
    throw error;
  }
  process.stdout.write(`${describeSim(sim)}\n`);
  if (options.seedIssues > 0)
    process.stdout.write(`  seeded ${options.seedIssues} issues (seed ${options.seed})\n`);

  let stopping = false;
  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`jira-sim: ${reason}, stopping.\n`);
    sim.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(
          `jira-sim: could not stop cleanly: ${error instanceof Error ? error.message : String(error)}\n`,
        );
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM received'));
  process.once('SIGINT', () => stop('SIGINT received'));
  if (options.exitWithParent) {
    // A parent killed outright (SIGKILL, OOM) runs no cleanup; the pipe it held closing is
    // the one signal that always arrives, so an orphaned simulator never keeps the port.
    process.stdin.once('close', () => stop('standard input closed'));
    process.stdin.once('end', () => stop('standard input closed'));
    process.stdin.resume();
  }
  return sim;
}
