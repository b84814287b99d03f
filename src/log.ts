import { pino, type Logger } from 'pino';

/**
 * Structured logs. Anything that might carry a secret is redacted by path as a second
 * line of defence; the first is never passing secrets to the logger at all.
 */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'privateKey',
  '*.privateKey',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'tokenSecret',
  '*.tokenSecret',
  'refreshToken',
  '*.refreshToken',
  'apiToken',
  '*.apiToken',
  'privateKeyPem',
  '*.privateKeyPem',
  'clientSecret',
  '*.clientSecret',
  'webhookSecret',
  '*.webhookSecret',
  'verifier',
  '*.verifier',
  'csrfToken',
  '*.csrfToken',
  'currentPassword',
  '*.currentPassword',
  'newPassword',
  '*.newPassword',
  'secretKey',
  '*.secretKey',
  'req.headers.authorization',
  'req.headers["x-csrf-token"]',
  'headers["x-csrf-token"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
];

export type { Logger };

export function createLogger(level = 'info', destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { app: 'testbridge' },
  };
  return destination ? pino(options, destination) : pino(options);
}
