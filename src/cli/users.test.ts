import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { findUserByUsername } from '../accounts/users.js';
import { verifyPassword } from '../accounts/passwords.js';
import { AppError } from '../errors.js';
import { parseMasterKey } from '../store/vault.js';
import { describeEachDialect } from '../store/testing.js';
import { registerUsers } from './users.js';

function cli(stdin = '') {
  const out: string[] = [];
  const program = new Command('testbridge').exitOverride();
  registerUsers(program, { out: (t) => out.push(t), readStdin: async () => stdin, env: {} });
  return {
    out,
    run: (...args: string[]) => program.parseAsync(['node', 'testbridge', ...args]),
  };
}

describeEachDialect('testbridge users', (getStore) => {
  const db = () => ['--database-url', getStore().location];

  it('adds a user with a random password it prints once', async () => {
    const c = cli();
    await c.run('users', 'add', 'Carol', '--role', 'admin', ...db());
    const text = c.out.join('');
    expect(text).toMatch(/Created admin carol/);
    const password = /Password \(shown only once\): (\S+)/.exec(text)?.[1] ?? '';
    const row = await findUserByUsername(getStore().db, 'carol');
    expect(row?.role).toBe('admin');
    expect(await verifyPassword(password, row?.password_hash ?? '')).toBe(true);
  });

  it('takes the password from stdin without printing it', async () => {
    const c = cli('a-piped-password-123\n');
    await c.run('users', 'add', 'dave', '--password-stdin', ...db());
    expect(c.out.join('')).not.toContain('a-piped-password-123');
    const row = await findUserByUsername(getStore().db, 'dave');
    expect(row?.role).toBe('tester');
    expect(await verifyPassword('a-piped-password-123', row?.password_hash ?? '')).toBe(true);
  });

  it('changes a password and lists accounts', async () => {
    const c = cli('another-password-456');
    await c.run('users', 'passwd', 'dave', '--password-stdin', ...db());
    expect(c.out.join('')).toMatch(/Password of dave changed/);
    const row = await findUserByUsername(getStore().db, 'dave');
    expect(await verifyPassword('another-password-456', row?.password_hash ?? '')).toBe(true);
    const l = cli();
    await l.run('users', 'list', ...db());
    expect(l.out.join('')).toMatch(/carol\s+admin/);
    expect(l.out.join('')).toMatch(/dave\s+tester/);
    expect(l.out.join('')).not.toMatch(/scrypt/);
  });

  it('explains mistakes', async () => {
    const unknown = await cli()
      .run('users', 'passwd', 'nobody', ...db())
      .catch((e: unknown) => e);
    expect((unknown as AppError).code).toBe('not_found');
    expect((unknown as AppError).hint).toMatch(/users list/);
    const role = await cli()
      .run('users', 'add', 'erin', '--role', 'root', ...db())
      .catch((e: unknown) => e);
    expect(role).toBeInstanceOf(AppError);
    expect((role as AppError).hint).toMatch(/admin.*tester/);
    const dup = await cli()
      .run('users', 'add', 'dave', ...db())
      .catch((e: unknown) => e);
    expect((dup as AppError).code).toBe('username_taken');
    const empty = await cli('')
      .run('users', 'add', 'fay', '--password-stdin', ...db())
      .catch((e: unknown) => e);
    expect((empty as AppError).hint).toMatch(/--password-stdin/);
    const short = await cli('short')
      .run('users', 'add', 'gus', '--password-stdin', ...db())
      .catch((e: unknown) => e);
    expect((short as AppError).code).toBe('weak_password');
  });
});

describe('testbridge secret-key generate', () => {
  it('prints a fresh key TESTBRIDGE_SECRET_KEY accepts', async () => {
    const a = cli();
    await a.run('secret-key', 'generate');
    const b = cli();
    await b.run('secret-key', 'generate');
    const key = a.out.join('').trim();
    expect(parseMasterKey(key)).toHaveLength(32);
    expect(b.out.join('').trim()).not.toBe(key);
  });
});
