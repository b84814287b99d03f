#!/usr/bin/env node
// The `jira-sim` command: the Jira simulator used by tests, benchmarks and demo mode.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../jira-sim/src/cli.ts');
await main(process.argv);
