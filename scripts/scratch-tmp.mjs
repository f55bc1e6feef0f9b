#!/usr/bin/env node
// Run a command with TMPDIR set to a fresh folder, and remove the folder afterwards, whatever the
// command's outcome: the temporary files of every test (also of a test that failed or was
// killed) go with it. Exits with the command's exit code.
//
//   node scripts/scratch-tmp.mjs ava test/unit
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: node scripts/scratch-tmp.mjs COMMAND [ARG...]');
  process.exit(2);
}
const scratch = mkdtempSync(join(tmpdir(), 'kittest-tests-'));
const remove = () => rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
// npm puts node_modules/.bin on PATH for scripts; run the command through it the same way.
const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, TMPDIR: scratch } });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('error', (error) => {
  remove();
  console.error(`scratch-tmp: cannot run ${command}: ${error.message}`);
  process.exit(2);
});
child.on('close', (code, signal) => {
  remove();
  process.exit(code ?? 128 + (constants.signals[signal] ?? 1));
});
