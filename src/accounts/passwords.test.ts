import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import {
  checkNewPassword,
  DEFAULT_LOG2_N,
  generatePassword,
  hashPassword,
  verifyPassword,
} from './passwords.js';

describe('passwords', () => {
  it('hashes with scrypt at full cost and a per-user salt', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(
      new RegExp(`^scrypt\\$${DEFAULT_LOG2_N}\\$8\\$1\\$[A-Za-z0-9+/=]+\\$[A-Za-z0-9+/=]{44}$`),
    );
    expect(a).not.toBe(b);
    expect(a).not.toContain('correct');
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('treats canonically equal Unicode as the same password', async () => {
    const composed = 'caf\u00e9-password-1';
    const decomposed = 'cafe\u0301-password-1';
    expect(await verifyPassword(decomposed, await hashPassword(composed))).toBe(true);
  });

  it('refuses malformed or absurd stored hashes instead of throwing or hanging', async () => {
    for (const bad of [
      '',
      'plain',
      'scrypt$15$8$1$c2FsdA==',
      'scrypt$40$8$1$c2FsdA==$AAAA',
      'bcrypt$x$y$z$a$b',
    ]) {
      expect(await verifyPassword('x', bad)).toBe(false);
    }
  });

  it('generates long random passwords that pass the policy', () => {
    const p = generatePassword();
    expect(p).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(generatePassword()).not.toBe(p);
    expect(() => checkNewPassword(p)).not.toThrow();
  });

  it('explains a too-short password', () => {
    try {
      checkNewPassword('short');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).code).toBe('weak_password');
      expect((e as AppError).message).toMatch(/12 characters/);
      expect((e as AppError).message).not.toContain('short"');
    }
  });
});
