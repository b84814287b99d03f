#!/usr/bin/env node
// The `testbridge` command. Loads the TypeScript sources through tsx so a fresh clone
// runs after `npm install` alone; `npm run build` is only needed for type-checked output.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
