// Guest output is untrusted: never let its escape sequences reach the user's terminal raw.

/** Replace control characters (other than newline and tab) with visible escapes like \x1b. */
export function safeForTerminal(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
