// The expect engine: consumes the console byte stream (it knows nothing of QEMU),
// answers terminal queries, watches for fatal lines and resolves waits for text.
import { performance } from 'node:perf_hooks';
import { consoleDefaults } from './defaults.ts';
import { ConsoleEndedError, ConsoleFailureError, ConsoleTimeoutError } from './errors.ts';
import { blockScreener, defaultFailurePatterns, matchFailure, type FailurePattern } from './failure-patterns.ts';
import { LineLog } from './line-log.ts';
import type { ConsoleLogSink } from './log-sink.ts';
import { StreamText, terminalAnswer, type CursorReport, type TerminalQuery } from './stream-text.ts';
import { compileMatcher, describePattern, TextWindow, type ConsoleMatch, type ConsolePattern, type Matcher } from './text-window.ts';

export type { ConsolePattern } from './text-window.ts';

/** Options of ConsoleEngine; only `write` is required. */
interface ConsoleEngineOptions {
  /** Sends bytes to the guest's console (typed input, answers to terminal queries). */
  readonly write: (data: string) => void;
  /** Milliseconds; defaults to performance.now. */
  readonly clock?: () => number;
  /** Recent text kept for matching (default ~1 MB of characters). */
  readonly maxBufferChars?: number;
  /** Longest regex match guaranteed to be found when it spans chunks (default 4 KiB, see consoleDefaults). */
  readonly maxMatchChars?: number;
  /** Fatal patterns (default: defaultFailurePatterns); see compileFailurePatterns. */
  readonly failurePatterns?: readonly FailurePattern[];
  /** Receives all clean console text with its time since the engine started. */
  readonly log?: ConsoleLogSink;
  /** Position reported for ESC[6n (default row 1, column 1). */
  readonly cursorReport?: CursorReport;
}

/** Options of one wait. */
interface WaitOptions {
  readonly timeoutMs: number;
  /** Absolute position to search from (see `position`); default: the oldest text still held. */
  readonly from?: number;
  /** How the wait is named in errors; default: the pattern. */
  readonly description?: string;
}

/** The first fatal line and the lines that followed it shortly after. */
interface ConsoleFailure {
  readonly pattern: string;
  readonly line: string;
  readonly following: readonly string[];
  /** Milliseconds since the engine started. */
  readonly atMs: number;
}

/** A named instant, in milliseconds since the engine started. */
export interface TimelineEntry {
  readonly name: string;
  readonly atMs: number;
}

interface Waiter {
  readonly matcher: Matcher;
  // For a literal: its length; a match ending in new text starts at most this far back.
  readonly literalLength: number | undefined;
  readonly from: number;
  scanFrom: number;
  readonly description: string;
  readonly resolve: (m: ConsoleMatch) => void;
  readonly reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
}

/** Expect engine over one console stream. */
export class ConsoleEngine {
  readonly #write: (data: string) => void;
  readonly #clock: () => number;
  readonly #patterns: readonly FailurePattern[];
  readonly #mayFail: (block: string) => boolean;
  readonly #log: ConsoleLogSink | undefined;
  readonly #cursor: CursorReport;
  readonly #maxMatch: number;
  readonly #stream = new StreamText();
  readonly #window: TextWindow;
  readonly #lines = new LineLog(consoleDefaults.keptLines, consoleDefaults.maxLineChars);
  readonly #waiters = new Set<Waiter>();
  readonly #failureListeners = new Set<(f: ConsoleFailure) => void>();
  readonly #timeline: TimelineEntry[] = [];
  #failure: { pattern: string; line: string; following: string[]; atMs: number } | undefined;
  #failureReported = false;
  #failureTimer: NodeJS.Timeout | undefined;
  #ended: { reason: string; infrastructure: boolean } | undefined;
  #firstByteAtMs: number | undefined;
  #queriesAnswered = 0;
  /** Clock value when the engine was made; all relative times count from here. */
  readonly startedAt: number;

  constructor(options: ConsoleEngineOptions) {
    this.#write = options.write;
    this.#clock = options.clock ?? (() => performance.now());
    this.#patterns = options.failurePatterns ?? defaultFailurePatterns;
    this.#mayFail = blockScreener(this.#patterns);
    this.#log = options.log;
    this.#cursor = options.cursorReport ?? consoleDefaults.cursorReport;
    const maxChars = options.maxBufferChars ?? consoleDefaults.maxBufferChars;
    const keep = Math.floor(maxChars * 0.75);
    // A wait rescans this much old text, so it must stay inside what trimming keeps.
    this.#maxMatch = Math.min(options.maxMatchChars ?? consoleDefaults.maxMatchChars, keep);
    this.#window = new TextWindow(maxChars, keep);
    this.startedAt = this.#clock();
  }

  /** The clock, in milliseconds. */
  now(): number {
    return this.#clock();
  }

  /** Absolute position just past the last character received; pass as `from` to wait for new text only. */
  get position(): number {
    return this.#window.end;
  }

  /** Absolute position of the oldest character still held for matching. */
  get windowStart(): number {
    return this.#window.start;
  }

  /** Characters held for matching right now (bounded by maxBufferChars between pushes). */
  get bufferedChars(): number {
    return this.#window.size;
  }

  /** Why the stream ended, once it has. */
  get ended(): string | undefined {
    return this.#ended?.reason;
  }

  /** The first fatal line seen, if any. */
  get failure(): ConsoleFailure | undefined {
    return this.#failure;
  }

  /** Milliseconds from engine start to the first byte from the guest. */
  get firstByteAtMs(): number | undefined {
    return this.#firstByteAtMs;
  }

  /** How many terminal queries were answered. */
  get queriesAnswered(): number {
    return this.#queriesAnswered;
  }

  /** Type into the guest's console (ignored once the stream has ended). */
  send(data: string): void {
    if (!this.#ended) this.#write(data);
  }

  /** Record a named instant on the timeline: now, or `at` on the engine's clock (an instant the caller noted before it knew it would count). */
  mark(name: string, at: number = this.#clock()): TimelineEntry {
    const entry = { name, atMs: at - this.startedAt };
    this.#timeline.push(entry);
    return entry;
  }

  /** Marks so far, in order (the first byte is marked as "console-first-byte"). */
  timeline(): readonly TimelineEntry[] {
    return [...this.#timeline];
  }

  /** The last `n` console lines (the unfinished one included). */
  lastLines(n: number = consoleDefaults.linesInErrors): string[] {
    return this.#lines.last(n);
  }

  /** Text between absolute positions, clamped to what is still held. */
  slice(from: number, to?: number): string {
    return this.#window.slice(from, to);
  }

  /** Search what is held now, without waiting. */
  search(pattern: ConsolePattern, from = 0): ConsoleMatch | undefined {
    return this.#window.search(compileMatcher(pattern), from);
  }

  /** Be told, once, about the first fatal line and what followed it. Returns an unsubscribe function. */
  onFailure(listener: (failure: ConsoleFailure) => void): () => void {
    this.#failureListeners.add(listener);
    return () => this.#failureListeners.delete(listener);
  }

  /** Feed bytes received from the guest. */
  push(chunk: Buffer | string): void {
    if (this.#ended) return;
    const now = this.#clock();
    if (this.#firstByteAtMs === undefined && chunk.length > 0) {
      this.#firstByteAtMs = now - this.startedAt;
      this.#timeline.push({ name: 'console-first-byte', atMs: this.#firstByteAtMs });
    }
    const clean = this.#stream.push(chunk);
    this.#answer(clean.queries);
    this.#ingest(clean.text, now);
  }

  /** The stream closed: every pending wait, and every later one that finds nothing, rejects at once. */
  end(reason: string, { infrastructure = false }: { infrastructure?: boolean } = {}): void {
    if (this.#ended) return;
    this.#ingest(this.#stream.end().text, this.#clock());
    this.#ended = { reason, infrastructure };
    for (const w of this.#waiters) this.#settle(w, this.#endedError(w.description));
    this.#reportFailure();
  }

  /**
   * A fatal event seen outside the console (QMP's GUEST_PANICKED): it counts as the first fatal
   * line would, so every wait fails at once and `failure` reports it. A console failure seen first wins.
   */
  fail(pattern: string, line: string): void {
    if (this.#failure) return;
    this.#failure = { pattern, line, following: [], atMs: this.#clock() - this.startedAt };
    for (const w of this.#waiters) this.#settle(w, this.#failureError(w.description));
    this.#reportFailure();
  }

  /** Wait until the pattern appears (from `from` on); rejects on timeout, fatal line or stream end. */
  waitFor(pattern: ConsolePattern, options: WaitOptions): Promise<ConsoleMatch> {
    if (!Number.isFinite(options.timeoutMs) || options.timeoutMs < 0) {
      // No "wait forever": a hung VM must not hang the run.
      throw new RangeError(`waitFor: timeoutMs must be a finite number of milliseconds, got ${options.timeoutMs}`);
    }
    const description = options.description ?? describePattern(pattern);
    const matcher = compileMatcher(pattern);
    const from = options.from ?? 0;
    const found = this.#window.search(matcher, from);
    if (found) return Promise.resolve(found);
    if (this.#failure) return Promise.reject(this.#failureError(description));
    if (this.#ended) return Promise.reject(this.#endedError(description));
    return new Promise<ConsoleMatch>((resolve, reject) => {
      const literalLength = typeof pattern === 'string' ? pattern.length : undefined;
      const waiter: Waiter = { matcher, literalLength, from, scanFrom: 0, description, resolve, reject };
      waiter.scanFrom = this.#resumePoint(waiter);
      waiter.timer = setTimeout(() => {
        this.#settle(waiter, new ConsoleTimeoutError(description, options.timeoutMs, this.lastLines()));
      }, Math.max(0, options.timeoutMs));
      this.#waiters.add(waiter);
    });
  }

  #answer(queries: readonly TerminalQuery[]): void {
    for (const q of queries) {
      this.#queriesAnswered++;
      this.send(terminalAnswer(q, this.#cursor));
    }
  }

  #ingest(text: string, now: number): void {
    if (text === '') return;
    this.#log?.write(text, now - this.startedAt);
    this.#window.append(text, now);
    for (const w of this.#waiters) {
      const m = this.#window.search(w.matcher, w.scanFrom);
      if (m) this.#settle(w, m);
      else w.scanFrom = this.#resumePoint(w);
    }
    this.#window.trim();
    this.#watchLines(this.#lines.add(text), now);
  }

  // Next time only rescan the tail, so many small chunks cost little: a literal can start at
  // most its length back; a regex match may span up to maxMatchLines lines and maxMatchChars.
  #resumePoint(w: Waiter): number {
    const end = this.#window.end;
    if (w.literalLength !== undefined) return Math.max(w.from, end - w.literalLength + 1);
    return Math.max(w.from, this.#window.resumePoint(consoleDefaults.maxMatchLines, this.#maxMatch));
  }

  #watchLines(block: string | undefined, now: number): void {
    if (block === undefined) return;
    if (this.#failure) {
      const following = this.#failure.following;
      if (!this.#failureReported && following.length < 20) following.push(...block.split('\n', 20 - following.length));
      return;
    }
    if (!this.#mayFail(block)) return;
    const lines = block.split('\n');
    for (const [i, line] of lines.entries()) {
      const pattern = matchFailure(line, this.#patterns);
      if (pattern === undefined) continue;
      this.#failure = { pattern, line, following: lines.slice(i + 1, i + 21), atMs: now - this.startedAt };
      // The waits fail now; the event waits a little to carry the lines that explain the failure.
      for (const w of this.#waiters) this.#settle(w, this.#failureError(w.description));
      this.#failureTimer = setTimeout(() => this.#reportFailure(), consoleDefaults.failureFollowMs);
      this.#failureTimer.unref();
      return;
    }
  }

  #reportFailure(): void {
    if (!this.#failure || this.#failureReported) return;
    this.#failureReported = true;
    clearTimeout(this.#failureTimer);
    for (const listener of this.#failureListeners) listener(this.#failure);
  }

  #settle(w: Waiter, outcome: ConsoleMatch | Error): void {
    if (!this.#waiters.delete(w)) return;
    clearTimeout(w.timer);
    if (outcome instanceof Error) w.reject(outcome);
    else w.resolve(outcome);
  }

  #failureError(description: string): ConsoleFailureError {
    const f = this.#failure;
    return new ConsoleFailureError(f?.pattern ?? '?', f?.line ?? '', description, this.lastLines());
  }

  #endedError(description: string): ConsoleEndedError {
    const e = this.#ended;
    return new ConsoleEndedError(e?.reason ?? 'unknown', description, e?.infrastructure ?? false, this.lastLines());
  }
}
