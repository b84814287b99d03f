import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerKeys } from '../../src/cli/keys.js';
import { registerOAuth1 } from '../../src/cli/oauth1.js';
import { AppError } from '../../src/errors.js';
import { keysMatch, readPrivateKey, readPublicKey } from '../../src/keys/index.js';
import { parseAuthorizationHeader, verifySignature } from '../../src/oauth1/index.js';
import { checkOpenssl, shouldSkip } from './peers.js';

const openssl = checkOpenssl();
const CLI = fileURLToPath(new URL('../../bin/testbridge.mjs', import.meta.url));
/** 4096-bit generation takes seconds; keep the openssl-made key between runs. */
const CACHE = join(tmpdir(), 'testbridge-test-cache');

function run(command: string, args: string[], input?: string): SpawnSyncReturns<string> {
  return spawnSync(command, args, { encoding: 'utf8', input, timeout: 120_000 });
}

function sh(command: string, args: string[], input?: string): string {
  const result = run(command, args, input);
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr || result.error}`);
  return result.stdout;
}

/** The real command, through bin/testbridge.mjs: one of these per command is enough (each costs seconds). */
const testbridge = (...args: string[]) => run(process.execPath, [CLI, ...args]);

/**
 * The same sub-commands in-process, printing errors the way src/cli/main.ts does, for the
 * many error cases; keeps the suite fast and independent of the rest of the CLI.
 */
async function inProcess(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
  let status = 0;
  try {
    const program = new Command('testbridge').exitOverride();
    registerKeys(program);
    registerOAuth1(program);
    await program.parseAsync(['node', 'testbridge', ...args]);
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    stderr.push(`error: ${e.message}\n${e.hint ? `hint: ${e.hint}\n` : ''}`);
    status = 1;
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return { status, stdout: stdout.join(''), stderr: stderr.join('') };
}

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'testbridge-keys-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The seed's four commands (with -traditional so genrsa writes PKCS#1 as older openssl did). */
function opensslKeySet(bits: number): {
  pkcs1: string;
  pkcs8: string;
  certificate: string;
  publicKey: string;
} {
  const base = bits === 4096 ? join(CACHE, 'openssl-4096') : join(dir, `openssl-${bits}`);
  if (bits === 4096) mkdirSync(CACHE, { recursive: true });
  const paths = {
    pkcs1: `${base}.pem`,
    pkcs8: `${base}.pcks8`,
    certificate: `${base}.cer`,
    publicKey: `${base}-public.pem`,
  };
  if (!Object.values(paths).every((path) => existsSync(path))) {
    // Written under a temporary name and renamed, so an interrupted run never caches half a key.
    sh('openssl', ['genrsa', '-traditional', '-out', `${paths.pkcs1}.tmp`, String(bits)]);
    renameSync(`${paths.pkcs1}.tmp`, paths.pkcs1);
    sh('openssl', [
      'req',
      '-new',
      '-x509',
      '-key',
      paths.pkcs1,
      '-out',
      paths.certificate,
      '-days',
      '365',
      '-subj',
      '/CN=Zephyr Ent',
    ]);
    sh('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', paths.pkcs1, '-out', paths.pkcs8]);
    writeFileSync(paths.publicKey, sh('openssl', ['x509', '-pubkey', '-noout', '-in', paths.certificate]));
  }
  return paths;
}

describe.skipIf(shouldSkip(openssl))('keys against openssl', () => {
  it('has openssl installed', () => {
    expect(openssl.problem).toBe('');
  });

  it('`keys generate` writes files openssl accepts, private key mode 0600', () => {
    const out = join(dir, 'generated');
    const result = testbridge('keys', 'generate', '--out', out);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const privatePath = join(out, 'jira_privatekey.pcks8');
    const publicPath = join(out, 'jira_publickey.pem');
    const certificatePath = join(out, 'jira_publickey.cer');
    expect(statSync(privatePath).mode & 0o777).toBe(0o600);

    expect(sh('openssl', ['pkey', '-in', privatePath, '-noout', '-check']).trim()).toBe('Key is valid');
    const text = sh('openssl', ['x509', '-in', certificatePath, '-noout', '-text']);
    expect(text).toContain('Version: 3 (0x2)');
    expect(text).toContain('Signature Algorithm: sha256WithRSAEncryption');
    expect(text).toContain('Subject: CN = Testbridge OAuth consumer');
    expect(text).toContain('Issuer: CN = Testbridge OAuth consumer');
    expect(text).toContain('Public-Key: (2048 bit)');
    // The certificate's signature is valid: openssl verifies it as its own issuer.
    expect(
      sh('openssl', ['verify', '-CAfile', certificatePath, '-check_ss_sig', certificatePath]).trim(),
    ).toBe(`${certificatePath}: OK`);
    const days = sh('openssl', ['x509', '-in', certificatePath, '-noout', '-startdate', '-enddate']);
    const [start, end] = days
      .trim()
      .split('\n')
      .map((line) => Date.parse(line.split('=')[1]!));
    expect(end! - start!).toBe(365 * 86_400_000);

    // The seed's fourth command gives back our public key file byte for byte.
    const publicPem = readFileSync(publicPath, 'utf8');
    expect(sh('openssl', ['x509', '-pubkey', '-noout', '-in', certificatePath])).toBe(publicPem);
    expect(sh('openssl', ['pkey', '-in', privatePath, '-pubout'])).toBe(publicPem);

    // What we print: the body to paste into Jira and the SHA-256 fingerprint of the SPKI.
    const body = publicPem.split('\n').slice(1, -2).join('');
    expect(result.stdout).toContain(`\n${body}\n`);
    const digest = spawnSync(
      'sh',
      ['-c', `openssl pkey -pubin -in '${publicPath}' -outform DER | openssl dgst -sha256 -binary | base64`],
      { encoding: 'utf8' },
    );
    expect(result.stdout).toContain(`fingerprint SHA256:${digest.stdout.trim().replace(/=+$/, '')}`);
  });

  it('`keys generate` refuses to overwrite unless --force', async () => {
    const out = join(dir, 'twice');
    expect((await inProcess('keys', 'generate', '--out', out, '--bits', '1024')).status).toBe(0);
    const before = readFileSync(join(out, 'jira_privatekey.pcks8'), 'utf8');
    const again = testbridge('keys', 'generate', '--out', out);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^error: Refusing to overwrite .*jira_privatekey\.pcks8/);
    expect(again.stderr).toMatch(/\nhint: .*--force/);
    expect(readFileSync(join(out, 'jira_privatekey.pcks8'), 'utf8')).toBe(before);
    const forced = await inProcess('keys', 'generate', '--out', out, '--force', '--bits', '2048');
    expect(forced.status).toBe(0);
    expect(readPrivateKey(readFileSync(join(out, 'jira_privatekey.pcks8'), 'utf8')).bits).toBe(2048);
    expect(statSync(join(out, 'jira_privatekey.pcks8')).mode & 0o777).toBe(0o600);
  });

  it.each([1024, 2048, 4096])(
    'reads openssl %i-bit keys: PKCS#1, PKCS#8, certificate and public key',
    (bits) => {
      const files = opensslKeySet(bits);
      const pkcs1 = readPrivateKey(readFileSync(files.pkcs1, 'utf8'));
      const pkcs8 = readPrivateKey(readFileSync(files.pkcs8, 'utf8'));
      expect(readFileSync(files.pkcs1, 'utf8')).toContain('BEGIN RSA PRIVATE KEY');
      expect(pkcs1.format).toBe('pkcs1');
      expect(pkcs8.format).toBe('pkcs8');
      expect(pkcs1.bits).toBe(bits);
      expect(pkcs8.fingerprint).toEqual(pkcs1.fingerprint);
      const certificate = readPublicKey(readFileSync(files.certificate, 'utf8'));
      const publicKey = readPublicKey(readFileSync(files.publicKey, 'utf8'));
      expect(certificate.certificate?.subject).toBe('CN=Zephyr Ent');
      expect(keysMatch(pkcs8.key, certificate.key)).toBe(true);
      expect(publicKey.fingerprint).toEqual(pkcs1.fingerprint);
      expect(pkcs1.warnings.length > 0).toBe(bits < 2048);
    },
  );

  it('`keys check` accepts openssl keys (exit 0) and reports a mismatch (exit 1)', async () => {
    const files = opensslKeySet(2048);
    const ok = testbridge('keys', 'check', '--private', files.pkcs1, '--public', files.certificate);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^OK: RSA 2048-bit private key \(PKCS#1\)\nfingerprint SHA256:/);
    expect(ok.stdout).toContain('belongs to this private key');

    const weak = await inProcess('keys', 'check', '--private', opensslKeySet(1024).pkcs8);
    expect(weak.status).toBe(0);
    expect(weak.stderr).toMatch(/^warning: .*1024 bits.*weak/);

    const mismatch = testbridge(
      'keys',
      'check',
      '--private',
      files.pkcs8,
      '--public',
      opensslKeySet(1024).publicKey,
    );
    expect(mismatch.status).toBe(1);
    expect(mismatch.stdout).toBe('');
    expect(mismatch.stderr).toMatch(
      /^error: The private key \(SHA256:.*\) and the public key \(SHA256:.*\) are not a pair\.\nhint: /,
    );
  });

  it('`keys check` explains an encrypted, a non-RSA and a swapped key', async () => {
    const encrypted = join(dir, 'encrypted.pem');
    sh('openssl', ['genrsa', '-aes128', '-passout', 'pass:secret', '-out', encrypted, '1024']);
    const ec = join(dir, 'ec.pem');
    sh('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', ec]);
    const cases: [string[], RegExp][] = [
      [['--private', encrypted], /^error: .*encrypted with a passphrase.*\nhint: .*-nocrypt/],
      [['--private', ec], /^error: .*EC key; Jira application links need an RSA key/],
      [
        ['--private', opensslKeySet(2048).publicKey],
        /^error: .*A public key was pasted where the private key belongs/,
      ],
      [
        ['--private', opensslKeySet(2048).pkcs8, '--public', opensslKeySet(2048).pkcs8],
        /^error: .*A private key was pasted where the public key belongs/,
      ],
      [['--private', join(dir, 'missing.pem')], /^error: Cannot read the private key file/],
    ];
    for (const [args, expected] of cases) {
      const result = await inProcess('keys', 'check', ...args);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(expected);
      expect(result.stderr).not.toMatch(/at .*\.ts:\d+/); // a clear error, not a stack trace
    }
  });

  it('`oauth1 sign` prints only the header; openssl verifies its RSA-SHA1 signature', async () => {
    const files = opensslKeySet(2048);
    const url = 'https://JIRA.example.com:443/rest/api/2/search?jql=project+%3D+TB&fields=summary,status';
    const result = testbridge(
      'oauth1',
      'sign',
      '--method',
      'post',
      '--url',
      url,
      '--consumer-key',
      'Zephyr Ent',
      '--private-key',
      files.pkcs1,
      '--token',
      'tok',
      '--form',
      'a=1+2&b=%2B',
      '--nonce',
      'fixed',
      '--timestamp',
      '1700000000',
      '--show-base-string',
    );
    expect(result.status).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('');
    const header = lines[0]!;
    expect(header).toMatch(
      /^OAuth oauth_consumer_key="Zephyr%20Ent", oauth_token="tok", oauth_signature_method="RSA-SHA1", oauth_timestamp="1700000000", oauth_nonce="fixed", oauth_version="1.0", oauth_signature="[^"]+"$/,
    );
    const baseString = result.stderr.trim();
    expect(baseString).toBe(
      'POST&https%3A%2F%2Fjira.example.com%2Frest%2Fapi%2F2%2Fsearch&a%3D1%25202%26b%3D%252B%26fields%3Dsummary%252Cstatus%26jql%3Dproject%2520%253D%2520TB%26oauth_consumer_key%3DZephyr%2520Ent%26oauth_nonce%3Dfixed%26oauth_signature_method%3DRSA-SHA1%26oauth_timestamp%3D1700000000%26oauth_token%3Dtok%26oauth_version%3D1.0',
    );
    const publicKey = createPublicKey(readFileSync(files.publicKey, 'utf8'));
    expect(
      verifySignature({
        method: 'POST',
        url,
        authorization: header,
        formBody: 'a=1+2&b=%2B',
        key: { method: 'RSA-SHA1', publicKey },
      }),
    ).toBe(true);

    // openssl checks the raw RSASSA-PKCS1-v1_5 SHA-1 signature over the base string.
    const signature = parseAuthorizationHeader(header).params.find(
      ([name]) => name === 'oauth_signature',
    )![1];
    writeFileSync(join(dir, 'base.txt'), baseString);
    writeFileSync(join(dir, 'sig.bin'), Buffer.from(signature, 'base64'));
    const verified = run('openssl', [
      'dgst',
      '-sha1',
      '-verify',
      files.publicKey,
      '-signature',
      join(dir, 'sig.bin'),
      join(dir, 'base.txt'),
    ]);
    expect(verified.stdout.trim()).toBe('Verified OK');

    const bad = await inProcess(
      'oauth1',
      'sign',
      '--method',
      'GET',
      '--url',
      'ftp://x',
      '--consumer-key',
      'k',
      '--private-key',
      files.pkcs8,
    );
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^error: OAuth 1.0a signs http and https URLs only/);
  });
});
