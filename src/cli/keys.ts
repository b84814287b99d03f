import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { AppError, isAppError } from '../errors.js';
import {
  assertKeysMatch,
  DEFAULT_BITS,
  generateKeyPair,
  readPrivateKey,
  readPublicKey,
} from '../keys/index.js';

/** The seed's file names, so its instructions and ours name the same files. */
export const KEY_FILES = {
  privateKey: 'jira_privatekey.pcks8',
  publicKey: 'jira_publickey.pem',
  certificate: 'jira_publickey.cer',
} as const;

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Reads a key file; a key error names the file so the admin knows which one is wrong. */
export async function readKeyFile<T>(path: string, what: string, read: (text: string) => T): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new AppError('cli_file_unreadable', `Cannot read the ${what} file ${path}.`, {
      hint: 'Check the path and that you may read the file.',
      cause,
    });
  }
  try {
    return read(text);
  } catch (err) {
    if (isAppError(err))
      throw new AppError(err.code, `${path}: ${err.message}`, { hint: err.hint, status: err.status });
    throw err;
  }
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('RSA keys for the Jira application link (OAuth 1.0a)');

  keys
    .command('generate')
    .description(`write ${KEY_FILES.privateKey}, ${KEY_FILES.publicKey} and ${KEY_FILES.certificate}`)
    .option(
      '--bits <bits>',
      'RSA key size: 2048, 3072 or 4096 (1024 works but is weak)',
      String(DEFAULT_BITS),
    )
    .option('--out <dir>', 'directory for the files', '.')
    .option('--common-name <name>', 'subject of the self-signed certificate')
    .option('--force', 'overwrite existing key files')
    .action(async (opts: { bits: string; out: string; commonName?: string; force?: boolean }) => {
      const bits = /^\d+$/.test(opts.bits) ? Number(opts.bits) : Number.NaN;
      const dir = resolve(opts.out);
      const paths = {
        privateKey: join(dir, KEY_FILES.privateKey),
        publicKey: join(dir, KEY_FILES.publicKey),
        certificate: join(dir, KEY_FILES.certificate),
      };
      if (!opts.force) {
        const taken = [];
        for (const path of Object.values(paths)) if (await exists(path)) taken.push(path);
        if (taken.length > 0) {
          throw new AppError('cli_file_exists', `Refusing to overwrite ${taken.join(', ')}.`, {
            hint: 'Choose another --out directory, or pass --force (the old private key is then lost).',
          });
        }
      }
      const pair = await generateKeyPair({ bits, commonName: opts.commonName });
      try {
        await mkdir(dir, { recursive: true });
        const flag = opts.force ? 'w' : 'wx';
        await writeFile(paths.privateKey, pair.privateKeyPem, { mode: 0o600, flag });
        // writeFile's mode applies only to new files; an overwritten key must not stay readable.
        await chmod(paths.privateKey, 0o600);
        await writeFile(paths.publicKey, pair.publicKeyPem, { mode: 0o644, flag });
        await writeFile(paths.certificate, pair.certificatePem, { mode: 0o644, flag });
      } catch (cause) {
        throw new AppError('cli_file_unwritable', `Cannot write the key files in ${dir}.`, {
          hint: 'Check that the directory is writable and the files do not exist (or pass --force).',
          cause,
        });
      }
      for (const warning of pair.warnings) process.stderr.write(`warning: ${warning}\n`);
      process.stdout.write(
        `Wrote ${paths.privateKey} (private key, PKCS#8, mode 0600: keep it secret)\n` +
          `Wrote ${paths.publicKey} (public key)\n` +
          `Wrote ${paths.certificate} (self-signed certificate, 365 days)\n` +
          `RSA ${pair.bits} bits, fingerprint ${pair.fingerprint.sha256}\n` +
          `                       ${pair.fingerprint.hex}\n\n` +
          'Paste this into the Public Key box of the Jira application link:\n\n' +
          `${pair.publicKeyBody}\n`,
      );
    });

  keys
    .command('check')
    .description('check a private key (and that a public key or certificate belongs to it)')
    .requiredOption('--private <file>', `the private key, e.g. ${KEY_FILES.privateKey}`)
    .option('--public <file>', `the public key or certificate, e.g. ${KEY_FILES.publicKey}`)
    .action(async (opts: { private: string; public?: string }) => {
      const privateInfo = await readKeyFile(opts.private, 'private key', readPrivateKey);
      const warnings = [...privateInfo.warnings];
      let matched = '';
      if (opts.public) {
        const publicInfo = await readKeyFile(opts.public, 'public key', readPublicKey);
        assertKeysMatch(privateInfo.key, publicInfo.key);
        matched = `\nThe ${publicInfo.format === 'certificate' ? 'certificate' : 'public key'} in ${opts.public} belongs to this private key.`;
      }
      for (const warning of new Set(warnings)) process.stderr.write(`warning: ${warning}\n`);
      process.stdout.write(
        `OK: RSA ${privateInfo.bits}-bit private key (${privateInfo.format === 'pkcs8' ? 'PKCS#8' : 'PKCS#1'})\n` +
          `fingerprint ${privateInfo.fingerprint.sha256}\n` +
          `            ${privateInfo.fingerprint.hex}${matched}\n`,
      );
    });
}
