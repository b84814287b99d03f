import { resolve } from 'node:path';
import { z } from 'zod';
import { AppError } from '../errors.js';

/**
 * Configuration comes from flags first, then the environment, then defaults. Every bad
 * value is reported with its variable name and what a good value looks like, because an
 * operator reading a start-up failure has nothing else to go on.
 */
export type Config = {
  port: number;
  host: string;
  publicUrl: string;
  dataDir: string;
  databaseUrl: string;
  dialect: 'sqlite' | 'postgres';
  secretKey: string | undefined;
  adminPassword: string | undefined;
  logLevel: string;
  demo: boolean;
  /** Take the client address from X-Forwarded-For (only behind a reverse proxy). */
  trustProxy: boolean;
};

export type ConfigInput = {
  port?: string | number | undefined;
  host?: string | undefined;
  publicUrl?: string | undefined;
  dataDir?: string | undefined;
  databaseUrl?: string | undefined;
  demo?: boolean | undefined;
  trustProxy?: boolean | undefined;
};

const portSchema = z.coerce
  .number({ error: 'must be a number' })
  .int({ error: 'must be a whole number' })
  .min(0, { error: 'must be between 0 and 65535' })
  .max(65535, { error: 'must be between 0 and 65535' });

const httpUrl = z
  .string()
  .url({ error: 'must be an absolute URL such as https://testbridge.example.com' })
  .refine((u) => !URL.canParse(u) || /^https?:$/.test(new URL(u).protocol), {
    error: 'must start with http:// or https://',
  });

const databaseUrl = z
  .string()
  .refine((u) => /^(postgres|postgresql):\/\//.test(u) || /^(sqlite:|file:)/.test(u) || !u.includes('://'), {
    error: 'must be postgres://… for PostgreSQL, or a file path (or sqlite:PATH) for SQLite',
  });

const flag = z.enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'], {
  error: 'must be true or false (1/0, yes/no, on/off)',
});

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
  error: 'must be one of fatal, error, warn, info, debug, trace, silent',
});

function check<T>(schema: z.ZodType<T>, value: unknown, name: string, example: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const why = r.error.issues[0]?.message ?? 'is not valid';
  throw new AppError('config_invalid', `${name} ${why} (got ${JSON.stringify(value)}).`, {
    hint: `Set ${name} to a valid value, for example ${example}, or unset it to use the default.`,
  });
}

export function loadConfig(input: ConfigInput = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const port = check(portSchema, input.port ?? env.PORT ?? 8080, 'PORT', '8080');
  const host = input.host ?? env.HOST ?? '0.0.0.0';
  const publicUrlRaw = input.publicUrl ?? env.TESTBRIDGE_PUBLIC_URL ?? `http://localhost:${port}`;
  const publicUrl = check(
    httpUrl,
    publicUrlRaw,
    'TESTBRIDGE_PUBLIC_URL',
    'https://testbridge.example.com',
  ).replace(/\/+$/, '');
  const dataDir = resolve(input.dataDir ?? env.TESTBRIDGE_DATA_DIR ?? './data');
  const dbRaw = input.databaseUrl ?? env.DATABASE_URL ?? '';
  const dbUrl =
    dbRaw === ''
      ? resolve(dataDir, 'testbridge.sqlite')
      : check(databaseUrl, dbRaw, 'DATABASE_URL', 'postgres://127.0.0.1:5432/testbridge');
  const dialect = /^postgres(ql)?:\/\//.test(dbUrl) ? 'postgres' : 'sqlite';
  const secretKey = env.TESTBRIDGE_SECRET_KEY || undefined;
  const adminPassword = env.TESTBRIDGE_ADMIN_PASSWORD || undefined;
  if (adminPassword !== undefined && adminPassword.length < 12) {
    throw new AppError('config_invalid', 'TESTBRIDGE_ADMIN_PASSWORD is shorter than 12 characters.', {
      hint: 'Choose a longer password, or unset it and Testbridge prints a random one on first start.',
    });
  }
  const level = check(logLevel, env.LOG_LEVEL ?? 'info', 'LOG_LEVEL', 'info');
  const trustProxy =
    input.trustProxy ??
    ['1', 'true', 'yes', 'on'].includes(
      check(flag, (env.TESTBRIDGE_TRUST_PROXY ?? 'false').toLowerCase(), 'TESTBRIDGE_TRUST_PROXY', 'true'),
    );
  return {
    port,
    host,
    publicUrl,
    dataDir,
    databaseUrl: dialect === 'sqlite' ? dbUrl.replace(/^(sqlite:|file:)/, '') : dbUrl,
    dialect,
    secretKey,
    adminPassword,
    logLevel: level,
    demo: input.demo ?? false,
    trustProxy,
  };
}
