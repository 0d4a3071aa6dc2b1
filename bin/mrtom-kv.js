#!/usr/bin/env node
// The installed `mrtom-kv` command runs the compiled CLI. `npm run build` writes dist/; in a clone,
// `npm install` runs it through `prepare`, and so does `npm pack`.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('mrtom-kv: dist/cli/main.js is missing; run `npm run build` first\n');
  process.exit(1);
}
await import(main.href);
