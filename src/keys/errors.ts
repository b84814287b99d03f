import { AppError } from '../errors.js';

/**
 * Every way a pasted key can be wrong has its own code, so the UI and tests can tell them
 * apart. Messages describe the paste, never quote it: the text may be a private key.
 */
export const KEY_ERROR = {
  empty: 'key_empty',
  unreadable: 'key_unreadable',
  corrupt: 'key_corrupt',
  truncated: 'key_truncated',
  multiple: 'key_multiple',
  encrypted: 'key_encrypted',
  publicNotPrivate: 'key_public_not_private',
  privateNotPublic: 'key_private_not_public',
  notRsa: 'key_not_rsa',
  tooSmall: 'key_too_small',
  unsupportedFormat: 'key_unsupported_format',
  mismatch: 'key_mismatch',
  bitsInvalid: 'key_bits_invalid',
  commonNameInvalid: 'key_common_name_invalid',
} as const;

export type KeyErrorCode = (typeof KEY_ERROR)[keyof typeof KEY_ERROR];

export type KeyRole = 'private' | 'public';

export function keyError(code: KeyErrorCode, message: string, hint: string): AppError {
  return new AppError(code, message, { hint, status: 400 });
}

export const roleLabel = (role: KeyRole): string => (role === 'private' ? 'private key' : 'public key');
