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
// Text is stored in pieces of about this size: appending to or searching the end of the
// window then copies a few KiB, never the whole window (V8 flattens a string before a regex runs on it).
const PIECE_CHARS = 4096;
// Characters before the search start that a regex still sees (for lookbehind).
const CONTEXT_CHARS = 256;

/** Recent text of the stream with absolute positions and arrival times. */
export class TextWindow {
  // Sealed pieces and their absolute start positions; #open is the piece being filled.
  #pieces: string[] = [];
  #starts: number[] = [];
  #open = '';
  #openStart = 0;
  #start = 0; // absolute position of the oldest character held
  // Parallel arrays: text up to (exclusive) arrivalEnd[i] arrived at arrivalAt[i].
  #arrivalEnd: number[] = [];
  #arrivalAt: number[] = [];

  constructor(
    readonly maxChars: number,
    // Trim to this many chars when over maxChars, so trimming is not done on every chunk.
    readonly keepChars: number = Math.floor(maxChars * 0.75),
  ) {}

  /** Absolute position just past the last character received. */
  get end(): number {
    return this.#openStart + this.#open.length;
  }

  /** Absolute position of the oldest character still held. */
  get start(): number {
    return this.#start;
  }

  /** Characters held right now. */
  get size(): number {
    return this.end - this.#start;
  }

  /** Append text that arrived at `atMs`. Call trim() once waits have looked at it. */
  append(text: string, atMs: number): void {
    if (text === '') return;
    if (this.#open.length + text.length > PIECE_CHARS) this.#seal();
    if (text.length >= PIECE_CHARS) {
      this.#open = text;
      this.#seal();
    } else {
      this.#open += text;
    }
    const last = this.#arrivalAt.length - 1;
    if (last >= 0 && this.#arrivalAt[last] === atMs) this.#arrivalEnd[last] = this.end;
    else {
      this.#arrivalEnd.push(this.end);
      this.#arrivalAt.push(atMs);
    }
  }

  /** Drop old text so at most maxChars stay. */
  trim(): void {
    if (this.size <= this.maxChars) return;
    this.#start = this.end - this.keepChars;
    let drop = 0;
    while (drop < this.#pieces.length && (this.#starts[drop + 1] ?? this.#openStart) <= this.#start) drop++;
    this.#pieces = this.#pieces.slice(drop);
    this.#starts = this.#starts.slice(drop);
    const first = this.#pieces[0];
    const firstStart = this.#starts[0];
    if (first !== undefined && firstStart !== undefined && firstStart < this.#start) {
      this.#pieces[0] = first.slice(this.#start - firstStart);
      this.#starts[0] = this.#start;
    }
    let firstKept = 0;
    while (firstKept < this.#arrivalEnd.length - 1 && (this.#arrivalEnd[firstKept] ?? 0) <= this.#start) firstKept++;
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
    const tailStart = Math.max(this.#start, this.end - maxChars);
    const tail = this.slice(tailStart);
    let i = tail.length;
    for (let n = 0; n <= linesBack; n++) {
      const nl = i > 0 ? tail.lastIndexOf('\n', i - 1) : -1;
      if (nl === -1) return tailStart;
      i = nl;
    }
    return tailStart + i + 1;
  }

  /** Text between two absolute positions, clamped to what is still held. */
  slice(from: number, to: number = this.end): string {
    from = Math.max(from, this.#start);
    to = Math.min(to, this.end);
    if (from >= to) return '';
    const parts: string[] = [];
    // Binary search for the first piece that ends after `from`.
    let lo = 0;
    let hi = this.#pieces.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.#starts[mid + 1] ?? this.#openStart) <= from) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i <= this.#pieces.length; i++) {
      const pieceStart = i < this.#pieces.length ? (this.#starts[i] ?? 0) : this.#openStart;
      if (pieceStart >= to) break;
      const piece = i < this.#pieces.length ? (this.#pieces[i] ?? '') : this.#open;
      parts.push(piece.slice(Math.max(0, from - pieceStart), to - pieceStart));
    }
    return parts.join('');
  }

  /** First match starting at or after absolute `from` (clamped to the window). */
  search(matcher: Matcher, from: number): ConsoleMatch | undefined {
    from = Math.max(from, this.#start);
    const base = Math.max(this.#start, from - CONTEXT_CHARS);
    const m = matcher(this.slice(base), from - base);
    if (!m) return undefined;
    const start = m.start + base;
    const end = m.end + base;
    return { text: m.text, captures: m.captures, start, end, atMs: this.arrivalOf(Math.max(start, end - 1)) };
  }

  #seal(): void {
    if (this.#open !== '') {
      this.#pieces.push(this.#open);
      this.#starts.push(this.#openStart);
    }
    this.#openStart = this.end;
    this.#open = '';
  }
}
