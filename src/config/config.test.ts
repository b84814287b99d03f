import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('has defaults a fresh clone can start with', () => {
    const c = loadConfig({}, {});
    expect(c.port).toBe(8080);
    expect(c.publicUrl).toBe('http://localhost:8080');
    expect(c.dialect).toBe('sqlite');
    expect(c.databaseUrl).toMatch(/data\/testbridge\.sqlite$/);
  });

  it('selects PostgreSQL from a postgres:// DATABASE_URL', () => {
    const c = loadConfig({}, { DATABASE_URL: 'postgres://127.0.0.1:5432/test' });
    expect(c.dialect).toBe('postgres');
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT must be a number/],
    [{ PORT: '70000' }, /PORT must be between 0 and 65535/],
    [{ TESTBRIDGE_PUBLIC_URL: 'testbridge.example.com' }, /TESTBRIDGE_PUBLIC_URL must be an absolute URL/],
    [{ TESTBRIDGE_PUBLIC_URL: 'ftp://x.example.com' }, /must start with http/],
    [{ DATABASE_URL: 'mysql://db/x' }, /DATABASE_URL must be postgres/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
    [{ TESTBRIDGE_TRUST_PROXY: 'maybe' }, /TESTBRIDGE_TRUST_PROXY must be true or false/],
  ])('rejects %o with a clear message', (env, message) => {
    try {
      loadConfig({}, env);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).message).toMatch(message);
      expect((e as AppError).hint).toMatch(/Set|unset/);
    }
  });

  it('reads TESTBRIDGE_TRUST_PROXY as a flag, off by default', () => {
    expect(loadConfig({}, {}).trustProxy).toBe(false);
    expect(loadConfig({}, { TESTBRIDGE_TRUST_PROXY: 'TRUE' }).trustProxy).toBe(true);
    expect(loadConfig({}, { TESTBRIDGE_TRUST_PROXY: '0' }).trustProxy).toBe(false);
  });

  it('lets flags win over the environment and strips a trailing slash', () => {
    const c = loadConfig({ port: '9000', publicUrl: 'https://tb.example.com/' }, { PORT: '8081' });
    expect(c.port).toBe(9000);
    expect(c.publicUrl).toBe('https://tb.example.com');
  });
});
