#!/usr/bin/env node
// The compiled CLI; `npm install` builds it (the `prepare` script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('pulsebot: not built yet; run `npm run build` in the pulsebot folder\n');
  process.exit(1);
}
await import(entry.href);
