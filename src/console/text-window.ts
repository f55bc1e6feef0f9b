// A bounded window on an endless text stream, addressed by absolute character positions,
// plus the pattern search used by waits.

/** One match in the stream; positions are absolute (characters since the console started). */
export interface ConsoleMatch {
  /** The matched text. */
  readonly text: string;
  /** Capture groups (empty for a string pattern). */
  readonly captures: readonly (string | undefined)[];
  readonly start: number;
  readonly end: number;
  /** Clock time at which the last character of the match arrived. */
  readonly atMs: number;
}

/** What a wait looks for: a literal string or a regular expression. */
export type ConsolePattern = string | RegExp;

/** Finds a pattern in `text` starting at index `from`; returns [start, end, captures]. */
export type Matcher = (text: string, from: number) => { start: number; end: number; text: string; captures: (string | undefined)[] } | undefined;

/** Compile a pattern once: strings use indexOf, regexes a private global clone (lookbehind and ^ keep their context). */
export function compileMatcher(pattern: ConsolePattern): Matcher {
  if (typeof pattern === 'string') {
    return (text, from) => {
      const i = text.indexOf(pattern, from);
      return i === -1 ? undefined : { start: i, end: i + pattern.length, text: pattern, captures: [] };
    };
  }
  const re = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '') + 'g');
  return (text, from) => {
    re.lastIndex = from;
    const m = re.exec(text);
    if (!m) return undefined;
    return { start: m.index, end: m.index + m[0].length, text: m[0], captures: m.slice(1) };
  };
}

/** Show a pattern in messages. */
export function describePattern(pattern: ConsolePattern): string {
  return typeof pattern === 'string' ? JSON.stringify(pattern) : String(pattern);
}

// Arrival times are kept per run of text received at the same millisecond, up to this many runs.
const MAX_ARRIVALS = 8192;

/** Recent text of the stream with absolute positions and arrival times. */
export class TextWindow {
  #text = '';
  #base = 0; // absolute position of #text[0]
  // Parallel arrays: text up to (exclusive) arrivalEnd[i] arrived at arrivalAt[i].
  #arrivalEnd: number[] = [];
  #arrivalAt: number[] = [];

  constructor(
    readonly maxChars: number,
    // Trim to this many chars when over maxChars, so trimming (a copy) is not done on every chunk.
    readonly keepChars: number = Math.floor(maxChars * 0.75),
  ) {}

  /** Absolute position just past the last character received. */
  get end(): number {
    return this.#base + this.#text.length;
  }

  /** Absolute position of the oldest character still held. */
  get start(): number {
    return this.#base;
  }

  /** Characters held right now. */
  get size(): number {
    return this.#text.length;
  }

  /** Append text that arrived at `atMs`. Call trim() once waits have looked at it. */
  append(text: string, atMs: number): void {
    if (text === '') return;
    this.#text += text;
    const last = this.#arrivalAt.length - 1;
    if (last >= 0 && this.#arrivalAt[last] === atMs) this.#arrivalEnd[last] = this.end;
    else {
      this.#arrivalEnd.push(this.end);
      this.#arrivalAt.push(atMs);
    }
  }

  /** Drop old text so at most maxChars stay. */
  trim(): void {
    if (this.#text.length <= this.maxChars) return;
    const drop = this.#text.length - this.keepChars;
    // Copy so the dropped text can be freed (a slice may keep its parent string alive).
    this.#text = Buffer.from(this.#text.slice(drop), 'utf16le').toString('utf16le');
    this.#base += drop;
    let firstKept = 0;
    while (firstKept < this.#arrivalEnd.length - 1 && (this.#arrivalEnd[firstKept] ?? 0) <= this.#base) firstKept++;
    firstKept = Math.max(firstKept, this.#arrivalEnd.length - MAX_ARRIVALS);
    if (firstKept > 0) {
      this.#arrivalEnd = this.#arrivalEnd.slice(firstKept);
      this.#arrivalAt = this.#arrivalAt.slice(firstKept);
    }
  }

  /** Clock time at which the character at absolute position `pos` arrived (best effort). */
  arrivalOf(pos: number): number {
    let lo = 0;
    let hi = this.#arrivalEnd.length - 1;
    if (hi < 0) return 0;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.#arrivalEnd[mid] ?? 0) > pos) hi = mid;
      else lo = mid + 1;
    }
    return this.#arrivalAt[lo] ?? 0;
  }

  /**
   * Where a wait must resume searching so that a match ending in text still to come is
   * found: the start of the line `linesBack` lines above the current one, at most `maxChars` back.
   */
  resumePoint(linesBack: number, maxChars: number): number {
    const tailStart = Math.max(0, this.#text.length - maxChars);
    const tail = this.#text.slice(tailStart);
    let i = tail.length;
    for (let n = 0; n <= linesBack; n++) {
      const nl = i > 0 ? tail.lastIndexOf('\n', i - 1) : -1;
      if (nl === -1) return this.#base + tailStart;
      i = nl;
    }
    return this.#base + tailStart + i + 1;
  }

  /** Text between two absolute positions, clamped to what is still held. */
  slice(from: number, to: number = this.end): string {
    return this.#text.slice(Math.max(0, from - this.#base), Math.max(0, to - this.#base));
  }

  /** First match starting at or after absolute `from` (clamped to the window). */
  search(matcher: Matcher, from: number): ConsoleMatch | undefined {
    const m = matcher(this.#text, Math.max(0, from - this.#base));
    if (!m) return undefined;
    const start = m.start + this.#base;
    const end = m.end + this.#base;
    return { text: m.text, captures: m.captures, start, end, atMs: this.arrivalOf(Math.max(start, end - 1)) };
  }
}
