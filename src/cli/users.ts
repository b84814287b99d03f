import type { Command } from 'commander';
import { generatePassword } from '../accounts/passwords.js';
import { createUser, listUsers, normalizeUsername, parseRole, updateUser } from '../accounts/users.js';
import { loadConfig } from '../config/config.js';
import { AppError } from '../errors.js';
import { openStore, type Store } from '../store/store.js';
import { generateMasterKey } from '../store/vault.js';

/**
 * `testbridge users …` works on the configured database directly, so an operator can get
 * back in when every admin password is lost, and `testbridge secret-key generate` makes a
 * master key for TESTBRIDGE_SECRET_KEY.
 */

export type CliIo = {
  out: (text: string) => void;
  /** All of standard input; only read for --password-stdin. */
  readStdin: () => Promise<string>;
  env: NodeJS.ProcessEnv;
};

const defaultIo: CliIo = {
  out: (text) => process.stdout.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  },
  env: process.env,
};

type DbOptions = { dataDir?: string; databaseUrl?: string };

async function withStore<T>(opts: DbOptions, io: CliIo, fn: (store: Store) => Promise<T>): Promise<T> {
  const config = loadConfig({ dataDir: opts.dataDir, databaseUrl: opts.databaseUrl }, io.env);
  const store = await openStore({ databaseUrl: config.databaseUrl, dialect: config.dialect });
  try {
    await store.migrate();
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function passwordFrom(
  opts: { passwordStdin?: boolean },
  io: CliIo,
): Promise<{ password: string; generated: boolean }> {
  if (!opts.passwordStdin) return { password: generatePassword(), generated: true };
  // One trailing newline is the shell's (echo, a here-string), not part of the password.
  const password = (await io.readStdin()).replace(/\r?\n$/, '');
  if (password === '') {
    throw new AppError('invalid_password', 'Standard input was empty; expected the password.', {
      hint: 'Pipe the password in, e.g. printf \'%s\' "$PASSWORD" | testbridge users add NAME --password-stdin.',
    });
  }
  return { password, generated: false };
}

function withDbOptions(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'data directory holding the SQLite file (env TESTBRIDGE_DATA_DIR)')
    .option('--database-url <url>', 'postgres://… for PostgreSQL (env DATABASE_URL)');
}

export function registerUsers(program: Command, io: CliIo = defaultIo): void {
  const users = program.command('users').description('manage Testbridge accounts in the configured database');

  withDbOptions(
    users
      .command('add <name>')
      .description('create an account (prints a random password unless --password-stdin)')
      .option('--role <role>', 'admin or tester', 'tester')
      .option('--password-stdin', 'read the password from standard input'),
  ).action(async (name: string, opts: DbOptions & { role: string; passwordStdin?: boolean }) => {
    const username = normalizeUsername(name);
    const role = parseRole(opts.role);
    const { password, generated } = await passwordFrom(opts, io);
    const user = await withStore(opts, io, (store) => createUser(store.db, { username, role, password }));
    io.out(`Created ${user.role} ${user.username} (id ${user.id}).\n`);
    if (generated) io.out(`Password (shown only once): ${password}\n`);
  });

  withDbOptions(
    users
      .command('passwd <name>')
      .description("set an account's password and end its sessions (random unless --password-stdin)")
      .option('--password-stdin', 'read the password from standard input'),
  ).action(async (name: string, opts: DbOptions & { passwordStdin?: boolean }) => {
    const username = normalizeUsername(name);
    const { password, generated } = await passwordFrom(opts, io);
    await withStore(opts, io, async (store) => {
      const row = await store.db
        .selectFrom('users')
        .select('id')
        .where('username', '=', username)
        .executeTakeFirst();
      if (!row) {
        throw new AppError('not_found', `No account named ${username}.`, {
          hint: 'See the accounts with: testbridge users list',
        });
      }
      await updateUser(store.db, row.id, { password });
    });
    io.out(`Password of ${username} changed; its sessions have ended.\n`);
    if (generated) io.out(`New password (shown only once): ${password}\n`);
  });

  withDbOptions(users.command('list').description('list accounts')).action(async (opts: DbOptions) => {
    const list = await withStore(opts, io, (store) => listUsers(store.db));
    if (list.length === 0) {
      io.out('No accounts yet; the server creates admin on first start.\n');
      return;
    }
    const width = Math.max(8, ...list.map((u) => u.username.length));
    io.out(`${'USERNAME'.padEnd(width)}  ROLE    CREATED\n`);
    for (const u of list) io.out(`${u.username.padEnd(width)}  ${u.role.padEnd(6)}  ${u.createdAt}\n`);
  });

  program
    .command('secret-key')
    .description('master key for TESTBRIDGE_SECRET_KEY')
    .command('generate')
    .description('print a new random 32-byte master key (base64)')
    .action(() => {
      io.out(`${generateMasterKey()}\n`);
    });
}
