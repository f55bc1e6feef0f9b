// Quoting for POSIX shells (busybox sh, dash, bash): the guest scripts, the image's boot script,
// and the QEMU command line written for people to re-run.

/** `value` as one shell word, always single-quoted (each embedded `'` as `'\''`): safe in any position. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Characters no POSIX shell treats specially in an argument. */
const plainWord = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * `word` as one argument, left bare when it is plain (easier to read), else shellQuote'd. Only for
 * argument positions: a bare `A=b` or `if` in command position would be read as an assignment or a keyword.
 */
export function shellArg(word: string): string {
  return plainWord.test(word) ? word : shellQuote(word);
}
