// Paths given on the command line, checked before anything starts: no control characters (a
// newline would split kittest's one-line messages and reports).
import { UsageError } from '../errors.ts';

/** C0 and C1 control characters and DEL. */
const controlCharacter = /[\u0000-\u001f\u007f-\u009f]/;

/** Refuse a path option holding a control character (newline, tab, escape...), naming the option. */
export function requirePrintablePath(option: string, path: string): void {
  if (controlCharacter.test(path)) {
    throw new UsageError(`${option} ${JSON.stringify(path)} holds a control character; kittest takes no such paths (its output is one line per event)`);
  }
}
