import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { describeEachDialect } from './testing.js';
import { generateMasterKey, loadMasterKey, parseMasterKey, Vault, verifyMasterKey } from './vault.js';

const key = () => randomBytes(32);

function caught(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error('expected an AppError');
}

describe('Vault', () => {
  it('round-trips any text, and never seals the same value the same way twice', () => {
    const vault = new Vault(key());
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        fc.string({ maxLength: 40 }),
        (text, ctx) => {
          const sealed = vault.seal(text, ctx);
          expect(vault.open(sealed, ctx)).toBe(text);
        },
      ),
      { numRuns: 200 },
    );
    const a = vault.seal('same', 'c');
    expect(vault.seal('same', 'c')).not.toBe(a);
    expect(a).toMatch(new RegExp(`^tbv1\\.${vault.keyId}\\.[A-Za-z0-9_-]+$`));
  });

  it('does not contain the plaintext in any readable form', () => {
    const vault = new Vault(key());
    const secret = 'ATATT3xFfGF0-very-secret-api-token';
    const sealed = vault.seal(secret, 'jira_instance:1:api_token');
    expect(sealed).not.toContain(secret);
    expect(Buffer.from(sealed.split('.')[2] ?? '', 'base64url').toString('latin1')).not.toContain(secret);
  });

  it('detects any flipped bit in a sealed value', () => {
    const vault = new Vault(key());
    const sealed = vault.seal('private key text', 'jira_instance:1:private_key');
    const [v, id, payload] = sealed.split('.') as [string, string, string];
    const body = Buffer.from(payload, 'base64url');
    for (let i = 0; i < body.length; i++) {
      const copy = Buffer.from(body);
      copy[i] = (copy[i] ?? 0) ^ 0x01;
      const err = caught(() =>
        vault.open(`${v}.${id}.${copy.toString('base64url')}`, 'jira_instance:1:private_key'),
      );
      expect(err.code).toBe('vault_tampered');
    }
    expect(caught(() => vault.open(`${v}.${id}.AAAA`, 'x')).code).toBe('vault_tampered');
  });

  it('refuses a ciphertext moved to another record (context is authenticated)', () => {
    const vault = new Vault(key());
    const sealed = vault.seal('token', 'jira_instance:1:access_token');
    const err = caught(() => vault.open(sealed, 'jira_instance:2:access_token'));
    expect(err.code).toBe('vault_tampered');
    expect(err.message).toContain('jira_instance:2:access_token');
    expect(err.message).not.toContain('token"');
  });

  it('says which key is missing when opened with the wrong master key', () => {
    const sealed = new Vault(key()).seal('secret', 'c');
    const other = new Vault(key());
    const err = caught(() => other.open(sealed, 'c'));
    expect(err.code).toBe('vault_wrong_key');
    expect(err.hint).toMatch(/TESTBRIDGE_SECRET_KEY/);
  });

  it('still opens values sealed under an older key it is given (rotation)', () => {
    const oldKey = key();
    const sealed = new Vault(oldKey).seal('secret', 'c');
    const rotated = new Vault([key(), oldKey]);
    expect(rotated.open(sealed, 'c')).toBe('secret');
    expect(rotated.seal('x', 'c').split('.')[1]).toBe(rotated.keyId);
    expect(rotated.keyId).not.toBe(sealed.split('.')[1]);
  });

  it('rejects values not in its format', () => {
    const vault = new Vault(key());
    for (const bad of ['', 'plain text', 'tbv0.abc.def', 'tbv1..x', 'tbv1.a.b.c']) {
      expect(caught(() => vault.open(bad, 'c')).code).toBe('vault_corrupt');
    }
  });

  it('fingerprints: short, stable per key, different per secret, not the secret', () => {
    const k = key();
    const a = new Vault(k);
    const fp = a.fingerprint('hunter2');
    expect(fp).toMatch(/^SHA256:[0-9a-f]{16}$/);
    expect(new Vault(k).fingerprint('hunter2')).toBe(fp);
    expect(a.fingerprint('hunter3')).not.toBe(fp);
    expect(fp).not.toContain('hunter2');
  });
});

describe('parseMasterKey', () => {
  const bytes = randomBytes(32);

  it.each([
    ['base64', bytes.toString('base64')],
    ['base64 without padding', bytes.toString('base64').replace(/=+$/, '')],
    ['base64url', bytes.toString('base64url')],
    ['hex', bytes.toString('hex')],
    ['HEX with a newline', `${bytes.toString('hex').toUpperCase()}\n`],
  ])('accepts 32 bytes as %s', (_, text) => {
    expect(parseMasterKey(text).equals(bytes)).toBe(true);
  });

  it.each([
    ['16 bytes of base64', randomBytes(16).toString('base64'), /decodes to 16 bytes/],
    ['33 bytes of hex', randomBytes(33).toString('hex'), /decodes to/],
    ['a passphrase', 'correct horse battery staple', /not a 32-byte key/],
  ])('rejects %s with a hint on making one, without echoing it', (_, text, message) => {
    const err = caught(() => parseMasterKey(text));
    expect(err.code).toBe('config_invalid');
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain(text.trim());
    expect(err.hint).toContain('openssl rand -base64 32');
    expect(err.hint).toContain('testbridge secret-key generate');
  });

  it('generates keys it accepts', () => {
    expect(parseMasterKey(generateMasterKey())).toHaveLength(32);
  });
});

describe('loadMasterKey', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'testbridge-key-'));
    dirs.push(d);
    return d;
  };

  it('creates the data dir and a 0600 key file once, then reuses it', () => {
    const dataDir = join(tempDir(), 'nested', 'data');
    const first = loadMasterKey({ secretKey: undefined, dataDir });
    expect(first.created).toBe(true);
    expect(first.source).toBe('file');
    expect(existsSync(join(dataDir, 'master.key'))).toBe(true);
    expect(statSync(join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
    const second = loadMasterKey({ secretKey: undefined, dataDir });
    expect(second.created).toBe(false);
    expect(second.bytes.equals(first.bytes)).toBe(true);
    expect(second.warnings).toEqual([]);
    expect(readFileSync(join(dataDir, 'master.key'), 'utf8').trim()).toBe(first.bytes.toString('base64'));
  });

  it('warns when the key file is readable by others', () => {
    const dataDir = tempDir();
    loadMasterKey({ secretKey: undefined, dataDir });
    chmodSync(join(dataDir, 'master.key'), 0o644);
    expect(loadMasterKey({ secretKey: undefined, dataDir }).warnings[0]).toMatch(/chmod 600/);
  });

  it('prefers TESTBRIDGE_SECRET_KEY and then writes no file', () => {
    const dataDir = tempDir();
    const secretKey = generateMasterKey();
    const k = loadMasterKey({ secretKey, dataDir });
    expect(k.source).toBe('env');
    expect(k.bytes.toString('base64')).toBe(secretKey);
    expect(existsSync(join(dataDir, 'master.key'))).toBe(false);
  });

  it('names the key file when its content is not a key', () => {
    const dataDir = tempDir();
    loadMasterKey({ secretKey: undefined, dataDir });
    rmSync(join(dataDir, 'master.key'));
    writeFileSync(join(dataDir, 'master.key'), 'short', { mode: 0o600 });
    const err = caught(() => loadMasterKey({ secretKey: undefined, dataDir }));
    expect(err.message).toContain(join(dataDir, 'master.key'));
  });
});

describeEachDialect('verifyMasterKey', (getStore) => {
  it('stores a check value on first start, accepts the same key, refuses another', async () => {
    const { db } = getStore();
    const k = key();
    expect(await verifyMasterKey(db, new Vault(k))).toBe('created');
    expect(await verifyMasterKey(db, new Vault(k))).toBe('verified');
    const err = await verifyMasterKey(db, new Vault(key())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('master_key_mismatch');
    expect((err as AppError).hint).toMatch(/TESTBRIDGE_SECRET_KEY/);
    const row = await db
      .selectFrom('settings')
      .selectAll()
      .where('name', '=', 'vault.check')
      .executeTakeFirst();
    expect(row?.value).toMatch(/^tbv1\./);
  });
});
