#!/usr/bin/env node
// The policy-engine command. The code lives in dist/ (built by `npm run build`,
// which `npm ci` / `npm install` run through the prepare script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('policy-engine is not built: run `npm run build` in the package directory');
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv);
