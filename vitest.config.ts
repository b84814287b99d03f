import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'jira-sim/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'],
    // Integration tests start real HTTP servers and talk to PostgreSQL; forks keep
    // native modules (better-sqlite3) and global fetch dispatchers isolated per file.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores here and in CI: more workers only add contention on PostgreSQL.
    maxWorkers: 2,
  },
});
