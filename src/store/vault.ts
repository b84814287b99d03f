import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { AppError } from '../errors.js';
import type { Database } from './schema.js';

/**
 * The secret vault: every secret Testbridge keeps (private keys, access tokens and token
 * secrets, refresh tokens, API tokens, webhook secrets) is stored only as
 *
 *     tbv1.<keyId>.<base64url(iv | ciphertext | tag)>
 *
 * AES-256-GCM under a key derived from the master key. The version and key id let keys
 * rotate later (a vault can hold several keys and opens whatever any of them sealed). The
 * caller's `context` (e.g. `jira_instance:ID:private_key`) is authenticated data, so a
 * ciphertext copied to another row or column fails to open instead of decrypting there.
 */

const VERSION = 'tbv1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
export const MASTER_KEY_FILE = 'master.key';
const MAKE_ONE = 'Make one with `openssl rand -base64 32` or `testbridge secret-key generate`';

export type MasterKey = {
  /** Short public id of the key, stored in every sealed value. Not secret. */
  id: string;
  bytes: Buffer;
  source: 'env' | 'file';
  /** The key file, when the key came from the data dir. */
  path?: string;
};

export type LoadedMasterKey = MasterKey & { created: boolean; warnings: string[] };

/** Decodes a 32-byte key written as 64 hex digits or as base64 / base64url. */
export function parseMasterKey(text: string, name = 'TESTBRIDGE_SECRET_KEY'): Buffer {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) {
    const bytes = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length === KEY_BYTES) return bytes;
    // Length only: the value itself is the secret and must not reach a log or terminal.
    throw new AppError(
      'config_invalid',
      `${name} decodes to ${bytes.length} bytes; the master key must be exactly 32 bytes.`,
      { hint: `${MAKE_ONE}, and keep it: secrets sealed with it cannot be opened without it.` },
    );
  }
  throw new AppError(
    'config_invalid',
    `${name} is not a 32-byte key written as base64 or as 64 hex digits (got ${t.length} characters).`,
    { hint: `${MAKE_ONE}, and keep it: secrets sealed with it cannot be opened without it.` },
  );
}

export function generateMasterKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

export function masterKeyId(bytes: Buffer): string {
  return createHash('sha256').update('testbridge master key id\0').update(bytes).digest('hex').slice(0, 12);
}

function isErrno(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === code;
}

/**
 * TESTBRIDGE_SECRET_KEY when set; otherwise the key file in the data dir, created (mode
 * 0600, directory 0700) on first start. `wx` makes creation atomic, so two processes
 * starting on one data dir end up with the same key.
 */
export function loadMasterKey(config: { secretKey: string | undefined; dataDir: string }): LoadedMasterKey {
  if (config.secretKey !== undefined) {
    const bytes = parseMasterKey(config.secretKey);
    return { id: masterKeyId(bytes), bytes, source: 'env', created: false, warnings: [] };
  }
  const path = join(config.dataDir, MASTER_KEY_FILE);
  let created = false;
  try {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(path, `${generateMasterKey()}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
    created = true;
  } catch (err) {
    if (!isErrno(err, 'EEXIST')) {
      throw new AppError('master_key_unavailable', `Cannot create the master key file ${path}.`, {
        status: 500,
        hint: `Make the data directory writable (TESTBRIDGE_DATA_DIR), or set TESTBRIDGE_SECRET_KEY. ${MAKE_ONE}.`,
        cause: err,
      });
    }
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AppError('master_key_unavailable', `Cannot read the master key file ${path}.`, {
      status: 500,
      hint: 'Check its owner and permissions (it should be readable by the Testbridge user only).',
      cause: err,
    });
  }
  const bytes = parseMasterKey(text, `The master key file ${path}`);
  const warnings: string[] = [];
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) {
    warnings.push(
      `The master key file ${path} is readable by other users (mode ${mode.toString(8)}); run chmod 600 on it.`,
    );
  }
  return { id: masterKeyId(bytes), bytes, source: 'file', path, created, warnings };
}

type VaultKey = { id: string; aes: Buffer; mac: Buffer };

function deriveKey(master: Buffer): VaultKey {
  // The master key itself never touches data: separate keys for sealing and fingerprints.
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, KEY_BYTES));
  return {
    id: masterKeyId(master),
    aes: derive('testbridge vault aes-256-gcm v1'),
    mac: derive('testbridge fp v1'),
  };
}

export class Vault {
  readonly keyId: string;
  readonly #current: VaultKey;
  readonly #byId: Map<string, VaultKey>;

  /** `keys[0]` seals; every key in the list can open. */
  constructor(keys: Buffer | MasterKey | readonly (Buffer | MasterKey)[]) {
    const list = (Array.isArray(keys) ? keys : [keys]) as (Buffer | MasterKey)[];
    const derived = list.map((k) => {
      const bytes = Buffer.isBuffer(k) ? k : k.bytes;
      if (bytes.length !== KEY_BYTES) throw new Error('A vault key must be 32 bytes.');
      return deriveKey(bytes);
    });
    if (!derived[0]) throw new Error('A vault needs at least one key.');
    this.#current = derived[0];
    this.keyId = derived[0].id;
    this.#byId = new Map(derived.map((k) => [k.id, k]));
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#current.aes, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(this.#current.id, context));
    const body = Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${VERSION}.${this.#current.id}.${body.toString('base64url')}`;
  }

  open(sealed: string, context: string): string {
    const parts = typeof sealed === 'string' ? sealed.split('.') : [];
    const [version, keyId, payload] = parts;
    if (parts.length !== 3 || version !== VERSION || !keyId || !payload) {
      throw new AppError('vault_corrupt', `The stored secret for ${context} is not in the vault's format.`, {
        status: 500,
        hint: 'The database row was changed outside Testbridge; enter the secret again to replace it.',
      });
    }
    const key = this.#byId.get(keyId);
    if (!key) {
      throw new AppError(
        'vault_wrong_key',
        `The stored secret for ${context} was sealed with another master key (key id ${keyId}; this server has ${this.keyId}).`,
        {
          status: 500,
          hint: 'Start Testbridge with the TESTBRIDGE_SECRET_KEY (or data-dir master.key) it used when the secret was stored.',
        },
      );
    }
    const body = Buffer.from(payload, 'base64url');
    if (body.length < IV_BYTES + TAG_BYTES) throw tampered(context);
    const decipher = createDecipheriv('aes-256-gcm', key.aes, body.subarray(0, IV_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(aad(key.id, context));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(body.subarray(IV_BYTES, body.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw tampered(context);
    }
  }

  /**
   * A short, stable label for a secret that the API may show ("SHA256:1a2b…"), so an
   * administrator can tell which token is stored without seeing it. Keyed (HMAC-SHA-256
   * under a vault-derived key), so a short password's fingerprint cannot be brute-forced
   * offline; it is stable for as long as the master key is.
   */
  fingerprint(plaintext: string): string {
    const mac = createHmac('sha256', this.#current.mac).update(plaintext, 'utf8').digest('hex');
    return `SHA256:${mac.slice(0, 16)}`;
  }
}

function aad(keyId: string, context: string): Buffer {
  return Buffer.from(`${VERSION}\0${keyId}\0${context}`, 'utf8');
}

function tampered(context: string): AppError {
  return new AppError(
    'vault_tampered',
    `The stored secret for ${context} failed its integrity check: it was altered, or copied from another record.`,
    { status: 500, hint: 'Enter the secret again to replace the damaged value.' },
  );
}

const CHECK_NAME = 'vault.check';
const CHECK_CONTEXT = 'settings:vault.check';
const CHECK_PLAINTEXT = 'testbridge vault check v1';

/**
 * Start-up guard: the database keeps a value sealed with the master key it was first used
 * with. Opening it now proves the configured key is the same one, so a wrong key stops the
 * server with an explanation instead of failing later on every secret, or sealing new
 * secrets under a second key nobody will be able to tell apart.
 */
export async function verifyMasterKey(db: Kysely<Database>, vault: Vault): Promise<'created' | 'verified'> {
  let outcome: 'created' | 'verified' = 'verified';
  let row = await db.selectFrom('settings').select('value').where('name', '=', CHECK_NAME).executeTakeFirst();
  if (!row) {
    const value = vault.seal(CHECK_PLAINTEXT, CHECK_CONTEXT);
    const inserted = await db
      .insertInto('settings')
      .values({ name: CHECK_NAME, value, updated_at: new Date().toISOString() })
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    // Another instance may have won the race with a different key; re-read and check.
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0) outcome = 'created';
    row = await db
      .selectFrom('settings')
      .select('value')
      .where('name', '=', CHECK_NAME)
      .executeTakeFirstOrThrow();
  }
  let opened: string;
  try {
    opened = vault.open(row.value, CHECK_CONTEXT);
  } catch (err) {
    const storedId = row.value.split('.')[1] ?? 'unknown';
    throw new AppError(
      'master_key_mismatch',
      `The master key (id ${vault.keyId}) is not the one this database's secrets were sealed with (id ${storedId}).`,
      {
        status: 500,
        hint:
          'Start with the TESTBRIDGE_SECRET_KEY, or the master.key file from the data directory, that this ' +
          'database was used with. Every instance sharing one PostgreSQL database needs the same key.',
        cause: err,
      },
    );
  }
  const a = Buffer.from(opened);
  const b = Buffer.from(CHECK_PLAINTEXT);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new AppError('master_key_mismatch', 'The vault check value opened to an unexpected value.', {
      status: 500,
      hint: 'The settings table was changed outside Testbridge; restore it from a backup.',
    });
  }
  return outcome;
}
