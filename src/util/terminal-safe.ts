// Guest output is untrusted: never let its escape sequences reach the user's terminal raw.
// One implementation serves the console log and every terminal writer.

// C0 controls except \t and \n, DEL, C1 controls, and bidi overrides/isolates that
// can make a line read differently from what it is ("Trojan Source").
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

/** Escape control characters (ESC included) so guest text cannot drive the user's terminal. */
export function safeForTerminal(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** A one-line field read from a file (a target, a format, a description): escaped, its newlines and tabs too, so it cannot drive the terminal or pass for a line of its own. */
export function safeField(text: string): string {
  return safeForTerminal(text).replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}
