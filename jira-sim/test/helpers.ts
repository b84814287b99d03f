/**
 * Test helpers: an RSA key pair, an application link, and a small OAuth 1.0a client that signs
 * requests the way RFC 5849 says. The python3-jira test (python-jira.test.ts) checks the
 * simulator against an independent signer as well.
 */
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { percentEncode, signatureBaseString } from '../src/oauth1/signature.js';
import type { JiraSim } from '../src/server.js';

export type KeyPair = { privateKeyPem: string; publicKeyPem: string; publicKeyBody: string };

export function rsaKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicKeyPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem,
    publicKeyBody: publicKeyPem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '').replace(/\s+/g, ''),
  };
}

export const basic = (login: string, secret: string) => ({
  authorization: `Basic ${Buffer.from(`${login}:${secret}`).toString('base64')}`,
});
export const ADMIN = basic('admin', 'admin');

export async function createLink(
  sim: JiraSim,
  consumerKey: string,
  publicKey: string,
  extra: Record<string, string> = {},
) {
  const response = await fetch(`${sim.url}/rest/sim/1.0/application-links`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'Testbridge',
      applicationUrl: 'http://127.0.0.1:9999/testbridge',
      consumerKey,
      consumerName: 'Testbridge',
      publicKey,
      ...extra,
    }),
  });
  if (response.status !== 201)
    throw new Error(`link creation failed: ${response.status} ${await response.text()}`);
  return response.json() as Promise<{ id: string }>;
}

export type OAuthOptions = {
  consumerKey: string;
  privateKeyPem: string;
  token?: string;
  /** Extra oauth_* parameters (oauth_callback, oauth_verifier). */
  oauth?: Record<string, string>;
  signatureMethod?: string;
  timestamp?: number;
  nonce?: string;
  /** The URL to put in the signature base string when it differs from the one requested. */
  signedUrl?: string;
  /** Form body parameters (sent url-encoded and signed). */
  form?: Record<string, string>;
};

/** Builds the Authorization header for a request, signing with RSA-SHA1. */
export function oauthHeader(method: string, url: string, options: OAuthOptions): string {
  const params: Record<string, string> = {
    oauth_consumer_key: options.consumerKey,
    oauth_nonce: options.nonce ?? randomBytes(12).toString('hex'),
    oauth_signature_method: options.signatureMethod ?? 'RSA-SHA1',
    oauth_timestamp: String(options.timestamp ?? Math.floor(Date.now() / 1000)),
    oauth_version: '1.0',
    ...(options.token ? { oauth_token: options.token } : {}),
    ...options.oauth,
  };
  const signed = new URL(options.signedUrl ?? url);
  const pairs: [string, string][] = [
    ...Object.entries(params),
    ...[...signed.searchParams.entries()],
    ...Object.entries(options.form ?? {}),
  ];
  const base = signatureBaseString(method, `${signed.origin}${signed.pathname}`, pairs);
  const signature =
    params.oauth_signature_method === 'RSA-SHA1'
      ? sign('RSA-SHA1', Buffer.from(base), options.privateKeyPem).toString('base64')
      : createHash('sha1').update(base).digest('base64');
  params.oauth_signature = signature;
  return `OAuth ${Object.entries(params)
    .map(([name, value]) => `${name}="${percentEncode(value)}"`)
    .join(', ')}`;
}

export async function oauthFetch(method: string, url: string, options: OAuthOptions): Promise<Response> {
  const headers: Record<string, string> = { authorization: oauthHeader(method, url, options) };
  let body: string | undefined;
  if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  }
  return fetch(url, { method, headers, body, redirect: 'manual' });
}

export function parseForm(text: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(text));
}

/** Runs the three-legged dance with an HTTP-approved authorize page; returns the access token. */
export async function oauthDance(
  sim: JiraSim,
  consumerKey: string,
  privateKeyPem: string,
  approver = ADMIN,
): Promise<{ token: string; secret: string; response: Record<string, string> }> {
  const servlet = `${sim.url}/plugins/servlet/oauth`;
  const requestToken = await oauthFetch('POST', `${servlet}/request-token`, {
    consumerKey,
    privateKeyPem,
    oauth: { oauth_callback: 'oob' },
  });
  if (requestToken.status !== 200)
    throw new Error(`request-token: ${requestToken.status} ${await requestToken.text()}`);
  const { oauth_token: token } = parseForm(await requestToken.text());
  const approved = await fetch(`${servlet}/authorize`, {
    method: 'POST',
    headers: { ...approver, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ oauth_token: token!, approve: 'Allow' }),
  });
  const page = await approved.text();
  const verifier = /verification code is '(?:<[^>]+>)?([^<']+)/.exec(page)?.[1];
  if (!verifier) throw new Error(`no verifier on the page: ${approved.status}`);
  const access = await oauthFetch('POST', `${servlet}/access-token`, {
    consumerKey,
    privateKeyPem,
    token: token!,
    oauth: { oauth_verifier: verifier },
  });
  if (access.status !== 200) throw new Error(`access-token: ${access.status} ${await access.text()}`);
  const response = parseForm(await access.text());
  return { token: response.oauth_token!, secret: response.oauth_token_secret!, response };
}

/** Debian's Python, the one with python3-jira and python3-oauthlib (not the pyenv shim). */
export const PYTHON = '/usr/bin/python3';

/** Runs Debian's python with `input` on stdin and collects what it prints. */
export function runPython(
  args: string[],
  input = '',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
