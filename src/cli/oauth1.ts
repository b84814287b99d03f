import type { Command } from 'commander';
import { AppError } from '../errors.js';
import { readPrivateKey } from '../keys/index.js';
import { signOAuth1 } from '../oauth1/index.js';
import { readKeyFile } from './keys.js';

interface SignOptions {
  method: string;
  url: string;
  consumerKey: string;
  privateKey: string;
  token?: string;
  form?: string;
  callback?: string;
  verifier?: string;
  nonce?: string;
  timestamp?: string;
  signingBaseUrl?: string;
  requestBaseUrl?: string;
  showBaseString?: boolean;
}

export function registerOAuth1(program: Command): void {
  const oauth1 = program
    .command('oauth1')
    .description('OAuth 1.0a (RFC 5849) tools for Jira application links');

  oauth1
    .command('sign')
    .description('print the RSA-SHA1 Authorization header value for a request (and nothing else)')
    .requiredOption('--method <method>', 'HTTP method, e.g. GET or POST')
    .requiredOption('--url <url>', 'the full request URL, query included')
    .requiredOption('--consumer-key <key>', 'consumer key of the Jira application link')
    .requiredOption('--private-key <file>', 'the private key file (PKCS#8 or PKCS#1)')
    .option('--token <token>', 'oauth_token (request or access token)')
    .option('--form <body>', 'an application/x-www-form-urlencoded body to sign, e.g. "a=b&c=d"')
    .option('--callback <url>', 'oauth_callback (a URL or "oob") for the request-token step')
    .option('--verifier <code>', 'oauth_verifier for the access-token step')
    .option('--nonce <nonce>', 'fixed nonce (default: random)')
    .option('--timestamp <seconds>', 'fixed timestamp in seconds (default: now)')
    .option('--signing-base-url <url>', "Jira's own base URL when it differs from the URL we send to")
    .option('--request-base-url <url>', 'the Jira URL we send to, swapped for --signing-base-url')
    .option('--show-base-string', 'also print the signature base string, on stderr')
    .action(async (opts: SignOptions) => {
      let timestamp: number | undefined;
      if (opts.timestamp !== undefined) {
        if (!/^\d+$/.test(opts.timestamp)) {
          throw new AppError('cli_invalid_option', '--timestamp must be a whole number of seconds.', {
            hint: 'For example --timestamp 1700000000, or leave it out to use the current time.',
          });
        }
        timestamp = Number(opts.timestamp);
      }
      const { key } = await readKeyFile(opts.privateKey, 'private key', readPrivateKey);
      const signed = signOAuth1({
        method: opts.method,
        url: opts.url,
        consumerKey: opts.consumerKey,
        key: { method: 'RSA-SHA1', privateKey: key },
        token: opts.token,
        formBody: opts.form,
        callback: opts.callback,
        verifier: opts.verifier,
        nonce: opts.nonce,
        timestamp,
        signingBaseUrl: opts.signingBaseUrl,
        requestBaseUrl: opts.requestBaseUrl,
      });
      if (opts.showBaseString) process.stderr.write(`${signed.baseString}\n`);
      process.stdout.write(`${signed.authorization}\n`);
    });
}
