// The console cut into lines: the last few kept for error messages, and each
// complete line handed on (failure patterns look at complete lines only).

/** Keeps the last `keep` complete lines and the unfinished one. */
export class LineLog {
  #lines: string[] = [];
  #partial = '';

  constructor(
    readonly keep: number,
    // A line that never ends is cut at this length, so memory stays bounded.
    readonly maxLineChars: number,
  ) {}

  /** Add clean text; returns the lines it completed (a very long line counts as complete once cut). */
  add(text: string): string[] {
    const nl = text.lastIndexOf('\n');
    let completed: string[] = [];
    if (nl !== -1) {
      completed = (this.#partial + text.slice(0, nl)).split('\n');
      this.#partial = text.slice(nl + 1);
    } else {
      this.#partial += text;
    }
    if (this.#partial.length >= this.maxLineChars) {
      for (let i = 0; i + this.maxLineChars <= this.#partial.length; i += this.maxLineChars) {
        completed.push(this.#partial.slice(i, i + this.maxLineChars));
      }
      this.#partial = this.#partial.slice(this.#partial.length - (this.#partial.length % this.maxLineChars));
    }
    const long = completed.findIndex((l) => l.length > this.maxLineChars);
    if (long !== -1) completed = completed.map((l) => (l.length > this.maxLineChars ? l.slice(0, this.maxLineChars) : l));
    this.#lines.push(...completed.slice(-this.keep));
    if (this.#lines.length > this.keep * 2) this.#lines = this.#lines.slice(-this.keep);
    return completed;
  }

  /** The last `n` lines, the unfinished one included when it is not empty. */
  last(n: number): string[] {
    if (n <= 0) return [];
    const all = this.#partial === '' ? this.#lines.slice(-n) : [...this.#lines.slice(-(n - 1 || 1)), this.#partial];
    return all.slice(-n);
  }
}
