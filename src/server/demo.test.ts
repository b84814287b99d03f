import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { createServer } from 'node:net';
import { demoBanner, parseDemoFlavor, startDemoJira } from './demo.js';

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

  it('runs jira-sim as a child process that answers, refuses a taken port, and stops', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const a = probe.address();
        probe.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
      });
    });
    const jira = await startDemoJira({ port, flavor: 'dc10', seedIssues: 5 });
    try {
      const info = (await (await fetch(`${jira.url}/rest/sim/1.0/info`)).json()) as { flavor: string };
      expect(info.flavor).toBe('dc10');
      await expect(startDemoJira({ port })).rejects.toMatchObject({ code: 'demo_port_in_use' });
    } finally {
      await jira.stop();
    }
    await expect(fetch(`${jira.url}/rest/sim/1.0/info`)).rejects.toThrow();
  }, 60_000);
});
