import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './log.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: createLogger('info', stream), text: () => lines.join('') };
}

describe('logger', () => {
  it('redacts secret-named fields at the top level and one level down', () => {
    const { logger, text } = capture();
    const secrets = {
      password: 'pw-value-1',
      token: 'tok-value-2',
      privateKey: 'pk-value-3',
      tokenSecret: 'ts-value-4',
      csrfToken: 'csrf-value-5',
      newPassword: 'np-value-6',
      secretKey: 'sk-value-7',
    };
    logger.info(secrets, 'top');
    logger.info(
      { body: secrets, headers: { cookie: 'c-value-8', authorization: 'Bearer a-value-9' } },
      'nested',
    );
    const out = text();
    for (const v of [...Object.values(secrets), 'c-value-8', 'a-value-9']) expect(out).not.toContain(v);
    expect(out).toContain('[redacted]');
    expect(out).toContain('"msg":"nested"');
  });
});
