// Guest output is untrusted: never let its escape sequences reach the user's terminal raw.
// One implementation serves the console log and every terminal writer.
import { safeForTerminal } from '../console/log-sink.ts';

export { safeForTerminal };

/** A one-line field read from a file (a target, a format, a description): escaped, its newlines and tabs too, so it cannot drive the terminal or pass for a line of its own. */
export function safeField(text: string): string {
  return safeForTerminal(text).replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}
