// The console cut into lines: the last few kept for error messages, and each run of
// completed lines handed on as one block (failure patterns look at complete lines only).

/** Keeps the last `keep` complete lines and the unfinished one. */
export class LineLog {
  #lines: string[] = [];
  #partial = '';

  constructor(
    readonly keep: number,
    // A line that never ends is cut at this length, so memory stays bounded.
    readonly maxLineChars: number,
  ) {}

  /**
   * Add clean text. Returns the lines it completed as one block joined by "\n" (no final
   * newline), or undefined when none was completed. A very long line counts as complete once cut.
   */
  add(text: string): string | undefined {
    const nl = text.lastIndexOf('\n');
    let block: string | undefined;
    if (nl !== -1) {
      block = this.#partial + text.slice(0, nl);
      this.#partial = text.slice(nl + 1);
    } else {
      this.#partial += text;
    }
    if (this.#partial.length >= this.maxLineChars) {
      const cut = this.#partial.length - (this.#partial.length % this.maxLineChars);
      const pieces = this.#partial.slice(0, cut).match(new RegExp(`[^]{${this.maxLineChars}}`, 'g')) ?? [];
      block = [...(block === undefined ? [] : [block]), ...pieces].join('\n');
      this.#partial = this.#partial.slice(cut);
    }
    if (block !== undefined) this.#keepTail(block);
    return block;
  }

  /** The last `n` lines, the unfinished one included when it is not empty. */
  last(n: number): string[] {
    if (n <= 0) return [];
    const all = this.#partial === '' ? this.#lines : [...this.#lines, this.#partial];
    return all.slice(-n);
  }

  // Keep the block's last lines only, without splitting all of it (a flood may hold many).
  #keepTail(block: string): void {
    let start = block.length;
    for (let n = 0; n < this.keep && start > 0; n++) start = block.lastIndexOf('\n', start - 1);
    const tail = (start <= 0 ? block : block.slice(start + 1)).split('\n');
    const shown = tail.map((l) => (l.length > this.maxLineChars ? l.slice(0, this.maxLineChars) : l));
    this.#lines = [...this.#lines, ...shown].slice(-this.keep);
  }
}
