#!/usr/bin/env node
/**
 * The `concord` command: `concord serve [flags]` runs a member, the other commands talk to a
 * cluster (`concord --help` lists them; commands.ts runs them).
 */
import { runCli } from './commands.js';

runCli(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`concord: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
