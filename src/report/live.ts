// Terminal output during a matrix: verdict lines scroll, and on a TTY a live line per run
// stays at the bottom (state and elapsed time). Without a TTY only the plain lines are written.
import type { ChalkInstance } from 'chalk';

interface RunState {
  state: string;
  since: number;
}

export class LiveStatus {
  private readonly runs = new Map<string, RunState>();
  private shown = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Lines waiting while the terminal is held by someone else (a console); undefined when it is not. */
  private held: string[] | undefined;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly color: ChalkInstance,
    private readonly now: () => number = Date.now,
  ) {
    if (this.live) {
      this.timer = setInterval(() => this.redraw(), 1000);
      this.timer.unref();
    }
  }

  private get live(): boolean {
    return Boolean(this.stream.isTTY);
  }

  /** A permanent line (a verdict), written above the live block. */
  line(text: string): void {
    if (this.held) {
      this.held.push(text);
      return;
    }
    this.clear();
    this.stream.write(`${text}\n`);
    this.draw();
  }

  /** Set what `target` is doing now ("booting", "case rng", "done"). */
  update(target: string, state: string): void {
    const run = this.runs.get(target);
    if (!run || run.state !== state) this.runs.set(target, { state, since: run?.since ?? this.now() });
    if (state === 'done') this.runs.delete(target);
    this.redraw();
  }

  /**
   * Give the terminal to someone else (the console of a kept machine): the live block goes, and
   * lines wait, until `resume`, so other runs do not write into the console.
   */
  hold(): void {
    this.clear();
    this.held ??= [];
  }

  /** Take the terminal back: the lines held are written, then the live block. */
  resume(): void {
    const lines = this.held ?? [];
    this.held = undefined;
    for (const text of lines) this.stream.write(`${text}\n`);
    this.draw();
  }

  /** Remove the live block for good. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.held) this.resume();
    this.clear();
  }

  private redraw(): void {
    if (!this.live || this.held) return;
    this.clear();
    this.draw();
  }

  private clear(): void {
    if (this.live && this.shown > 0) this.stream.write(`\x1b[${this.shown}A\x1b[J`);
    this.shown = 0;
  }

  private draw(): void {
    if (!this.live) return;
    for (const [target, run] of this.runs) {
      const seconds = ((this.now() - run.since) / 1000).toFixed(0).padStart(4);
      this.stream.write(`${this.color.cyan('  ⋯')} ${target.padEnd(8)} ${this.color.dim(`${seconds}s`)}  ${run.state}\n`);
    }
    this.shown = this.runs.size;
  }
}
