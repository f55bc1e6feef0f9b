// Run the kittest CLI as a user would, capturing its output and exit code.
import { execa, type Result } from 'execa';
import { join } from 'node:path';
import { projectRoot } from '../../src/config/paths.ts';

export const kittestBin = join(projectRoot, 'bin', 'kittest.js');

/** Run `kittest ...args`; never rejects. */
export function kittest(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return execa(process.execPath, [kittestBin, ...args], { reject: false, env: { NO_COLOR: '1', ...env }, timeout: 600_000 });
}
