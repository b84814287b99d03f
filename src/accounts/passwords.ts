import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.js';

/**
 * Password hashing with scrypt from node:crypto: a per-user random salt, parameters stored
 * in the hash so they can be raised later without breaking old hashes, and a constant-time
 * comparison. Stored as `scrypt$<log2 N>$<r>$<p>$<salt b64>$<hash b64>`.
 */

export const DEFAULT_LOG2_N = 15; // N = 32768, r = 8: 32 MiB and tens of milliseconds per guess.
let log2N = DEFAULT_LOG2_N;
let dummyHash: Promise<string> | undefined;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
const SALT_BYTES = 16;

export const MIN_PASSWORD_LENGTH = 12;
/** scrypt's cost does not depend on length, but nobody needs more and bodies stay small. */
export const MAX_PASSWORD_LENGTH = 1024;

function scryptAsync(password: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** logN;
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scryptAsync(password, salt, log2N, R, P);
  return ['scrypt', log2N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [logN, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![logN, r, p].every((n) => Number.isInteger(n) && n > 0) || logN > 22 || r > 32 || p > 16) return false;
  const salt = Buffer.from(parts[4] ?? '', 'base64');
  const expected = Buffer.from(parts[5] ?? '', 'base64');
  if (expected.length !== KEY_BYTES) return false;
  const actual = await scryptAsync(password, salt, logN, r, p);
  return timingSafeEqual(actual, expected);
}

/**
 * For test suites only (the API test helper calls it): hundreds of sign-ins at full cost
 * take minutes on a busy CI machine. Each hash records its own cost, so hashes made either
 * way verify either way; production code never calls this.
 */
export function cheapPasswordHashingForTests(): void {
  log2N = 10;
  dummyHash = undefined;
}

/** A hash of a random password, compared against when the user does not exist, so a wrong
 * username takes as long as a wrong password and usernames cannot be probed by timing. */
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return dummyHash;
}

/** 24 characters from a 144-bit random value; URL- and shell-safe. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

export function checkNewPassword(password: string, field = 'password'): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new AppError('weak_password', `The ${field} is shorter than ${MIN_PASSWORD_LENGTH} characters.`, {
      hint: `Choose at least ${MIN_PASSWORD_LENGTH} characters; a few unrelated words work well.`,
    });
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new AppError('weak_password', `The ${field} is longer than ${MAX_PASSWORD_LENGTH} characters.`, {
      hint: 'Choose a shorter password.',
    });
  }
}
