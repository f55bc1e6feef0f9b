// The console log artifact: every line with a host timestamp, capped in size, and
// guest text made safe to show (guest output is untrusted).
import { createWriteStream, type WriteStream } from 'node:fs';
import { type HostError, writeFailed } from '../errors.ts';
import { safeForTerminal } from '../util/terminal-safe.ts';
import { consoleDefaults } from './defaults.ts';

/** Where the engine sends clean console text, with milliseconds since the console started. */
export interface ConsoleLogSink {
  write(text: string, elapsedMs: number): void;
}

/** `[+12.345s] ` for a time in milliseconds. */
function formatElapsed(elapsedMs: number): string {
  return `[+${(Math.max(0, elapsedMs) / 1000).toFixed(3)}s] `;
}

/** Options of FileLogSink. */
interface FileLogSinkOptions {
  /** Stop writing past this many bytes (default 16 MiB); the rest is only counted. */
  readonly maxBytes?: number;
  /** Told once when the file cannot be opened or written (disk full, I/O error); the log stops there. */
  readonly onError?: (error: HostError) => void;
}

/** Writes the console to a file, one timestamped line at a time, up to a size cap. */
export class FileLogSink implements ConsoleLogSink {
  readonly #out: WriteStream;
  readonly #maxBytes: number;
  #written = 0;
  #cut = 0;
  #partial = '';
  #partialStartMs = 0;
  #closed = false;
  #error: HostError | undefined;
  readonly #onError: ((error: HostError) => void) | undefined;

  constructor(
    readonly path: string,
    options: FileLogSinkOptions = {},
  ) {
    this.#maxBytes = options.maxBytes ?? consoleDefaults.logMaxBytes;
    this.#onError = options.onError;
    this.#out = createWriteStream(path);
    // Without a listener a full disk would crash kittest mid-run, leaving QEMU and its folder behind.
    this.#out.on('error', (error) => this.#fail(error));
  }

  /** Why the log could not be written, once it could not. */
  get error(): HostError | undefined {
    return this.#error;
  }

  /** Bytes written so far (timestamps included). */
  get bytesWritten(): number {
    return this.#written;
  }

  /** Bytes of console text not written because of the cap. */
  get bytesCut(): number {
    return this.#cut;
  }

  /** Add console text; a line is stamped with the time its first character arrived. */
  write(text: string, elapsedMs: number): void {
    if (this.#closed || text === '') return;
    if (this.#cut > 0) {
      this.#cut += Buffer.byteLength(text); // capped: only count
      return;
    }
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      if (this.#partial === '') this.#partialStartMs = elapsedMs;
      this.#emit(this.#partial + text.slice(start, nl), this.#partialStartMs);
      this.#partial = '';
      start = nl + 1;
    }
    if (start < text.length) {
      if (this.#partial === '') this.#partialStartMs = elapsedMs;
      this.#partial += text.slice(start);
      // A line that never ends is logged in pieces, so memory stays bounded.
      if (this.#partial.length >= consoleDefaults.maxLineChars) {
        this.#emit(this.#partial, this.#partialStartMs);
        this.#partial = '';
      }
    }
  }

  /** Flush the unfinished line, add the cut marker if anything was cut, and close the file; rejects with `error` if writing failed. */
  async close(): Promise<void> {
    if (!this.#closed) {
      if (this.#partial !== '') this.#emit(this.#partial, this.#partialStartMs);
      this.#partial = '';
      this.#closed = true;
      if (this.#cut > 0 && !this.#error) {
        this.#out.write(`[kittest] console log capped at ${this.#maxBytes} bytes: ${this.#cut} more bytes of console output were cut\n`);
      }
      if (!this.#error) {
        await new Promise<void>((resolve) => {
          this.#out.once('error', () => resolve());
          this.#out.end(() => resolve());
        });
      }
      this.#out.destroy();
    }
    if (this.#error) throw this.#error;
  }

  #fail(error: unknown): void {
    if (this.#error) return;
    this.#error = writeFailed(this.path, error);
    this.#closed = true;
    this.#onError?.(this.#error);
  }

  #emit(line: string, elapsedMs: number): void {
    if (this.#error) return;
    if (this.#cut > 0) {
      this.#cut += Buffer.byteLength(line) + 1;
      return;
    }
    const formatted = `${formatElapsed(elapsedMs)}${safeForTerminal(line)}\n`;
    const bytes = Buffer.byteLength(formatted);
    if (this.#written + bytes > this.#maxBytes) {
      // Once capped, stop for good: a log with holes in the middle would mislead.
      this.#cut += Buffer.byteLength(line) + 1;
      return;
    }
    this.#written += bytes;
    this.#out.write(formatted);
  }
}

/** Keeps the console log in memory (tests, short runs). */
export class MemoryLogSink implements ConsoleLogSink {
  readonly chunks: { text: string; elapsedMs: number }[] = [];
  write(text: string, elapsedMs: number): void {
    this.chunks.push({ text, elapsedMs });
  }
  /** Everything written, concatenated. */
  get text(): string {
    return this.chunks.map((c) => c.text).join('');
  }
}
