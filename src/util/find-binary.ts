// Locate a program on PATH without running a shell.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Absolute path of `program` on PATH, or undefined. */
export function findOnPath(program: string, path = process.env.PATH ?? ''): string | undefined {
  if (program.includes('/')) return canExecute(program) ? program : undefined;
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, program);
    if (canExecute(candidate)) return candidate;
  }
  return undefined;
}

function canExecute(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
