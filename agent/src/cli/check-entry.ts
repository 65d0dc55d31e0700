/**
 * Stand-alone entry for the check command (`npx tsx agent/src/cli/check-entry.ts --json`),
 * used by the real-host test and by anyone debugging probes without the full CLI.
 * Options: --json, --root DIR, --only id[,id...].
 */
import { checkCommand, parseCheckArgs } from './check.js';

checkCommand(parseCheckArgs(process.argv.slice(2))).then(
  (code) => (process.exitCode = code),
  (e) => {
    process.stderr.write(`check failed: ${(e as Error).message}\n`);
    process.exitCode = 2;
  },
);
