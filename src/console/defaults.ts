// Every default of the console engine and shell driver, in one place.
// Times are milliseconds measured by the engine's clock; sizes are characters or bytes as named.

/** Defaults for the console engine, the shell driver and the console log. */
export const consoleDefaults = {
  /** Recent clean text kept for matching; older text is dropped (the guest may print without end). */
  maxBufferChars: 1_000_000,
  /**
   * A regex match may span at most this many characters and maxMatchLines lines to be found
   * when its text arrives in pieces: each new chunk rescans only that much old text, so many
   * small chunks stay cheap. Literal strings are always found, whatever their length.
   */
  maxMatchChars: 4 * 1024,
  maxMatchLines: 4,
  /** A "line" that never ends is cut here so failure matching and lastLines stay bounded. */
  maxLineChars: 16 * 1024,
  /** Console lines kept for error messages and lastLines(). */
  keptLines: 200,
  /** Lines quoted in timeout and failure errors. */
  linesInErrors: 20,
  /** How long after a fatal line the following lines are collected for the onFailure event. */
  failureFollowMs: 300,
  /** Answer to a cursor position query (ESC[6n); busybox ash asks at every prompt. */
  cursorReport: { row: 1, col: 1 },

  /** findShell: total time allowed for the shell to answer. */
  findShellTimeoutMs: 120_000,
  /**
   * findShell: a fresh probe is typed this often until one comes back. Every earlier probe's
   * answer counts too, so a short interval costs nothing but a few echoed lines, and the shell is
   * found at most this long after it starts reading (1.5 s until issue 16: 0.5 s more on average).
   */
  probeEveryMs: 500,
  /** run/succeed/fail: time allowed for one command, frame included. */
  commandTimeoutMs: 60_000,
  /** waitUntilSucceeds: total time allowed. */
  waitUntilTimeoutMs: 60_000,
  /** waitUntilSucceeds: pause between attempts. */
  waitUntilIntervalMs: 1_000,
  /** run: extra attempts when a frame arrives corrupted (checksum or length mismatch). */
  frameRetries: 2,
  /**
   * run: longest line typed into the guest, newline included. The tty's canonical
   * buffer holds 4096 bytes (N_TTY_BUF_SIZE), but busybox ash's line editor silently
   * drops what goes past CONFIG_FEATURE_EDITING_MAX_LEN (1024 by default), so stay under
   * that; longer scripts are typed in acknowledged pieces (framing.ts).
   */
  maxLineBytes: 1000,
  /** run: scripts longer than this are refused (they would take many lines to type). */
  maxScriptBytes: 64 * 1024,

  /** Console log file cap (16 MiB); the rest is counted, not written. */
  logMaxBytes: 16 * 1024 * 1024,
} as const;

