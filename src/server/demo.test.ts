import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { demoBanner, parseDemoFlavor } from './demo.js';

describe('demo mode', () => {
  it('defaults to the server flavour and refuses unknown ones with what to type', () => {
    expect(parseDemoFlavor(undefined)).toBe('server');
    expect(parseDemoFlavor('dc10')).toBe('dc10');
    try {
      parseDemoFlavor('jira7');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).hint).toContain('cloud|server|dc9|dc10');
    }
  });

  it('prints both addresses and both sign-ins', () => {
    const text = demoBanner({
      testbridgeUrl: 'http://localhost:8080',
      jira: { url: 'http://127.0.0.1:2990', flavor: 'server', stop: async () => {} },
      adminPassword: 'testbridge-demo',
    });
    expect(text).toContain('http://localhost:8080');
    expect(text).toContain('admin / testbridge-demo');
    expect(text).toContain('http://127.0.0.1:2990');
    expect(text).toContain('admin / admin');
  });
});
