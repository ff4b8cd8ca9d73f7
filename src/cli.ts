#!/usr/bin/env node
import { main, processIo } from './main.js';

const code = await main(process.argv.slice(2), {
  env: process.env,
  io: processIo(),
});
process.exitCode = code;
