// Regular expressions from targets and cases (a vendor's files) must not block the event loop: one
// catastrophic pattern (^(a+)+$ on "aaa…b") would stall the console and every deadline with it.
// V8's linear-time engine takes over from a match that backtracks too much (after 50,000
// backtracks, with the same result), so only patterns that engine can run are accepted.
import { setFlagsFromString } from 'node:v8';

// Process-wide, and harmless to other code: a match that never backtracks that much runs as before.
setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
// The `l` flag, used only to ask V8 whether a pattern can run in linear time.
setFlagsFromString('--enable-experimental-regexp-engine');

const canAsk = (() => {
  try {
    return new RegExp('', 'l').flags === 'l';
  } catch {
    return false; // a Node whose V8 has no such engine: patterns are not checked
  }
})();

/** A regular expression from a data file, compiled once the linear-time fallback is on. */
export function boundedRegex(source: string, flags = ''): RegExp {
  return new RegExp(source, flags);
}

/** Why `source` (a valid pattern) could run in more than linear time, if it could. */
export function linearTimeProblem(source: string): string | undefined {
  if (!canAsk) return undefined;
  try {
    new RegExp(source, 'l');
    return undefined;
  } catch {
    return 'cannot be matched in linear time (it has a backreference, a lookahead or lookbehind, or a counted repetition over 16 such as x{32}), so a line could stall the console; write it without them (x+ for x{32})';
  }
}
