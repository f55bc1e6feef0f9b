// One evidence pass per poll: the cases are judged side by side, and every script they ask for
// while the console is busy goes out together as one guest script, so a poll costs one round
// trip (one framing, one nsenter) however many cases still settle. Each script runs in a subshell
// of its own (its `exit` ends only itself) and gets back exactly its own output and status; a
// script asked for twice in one batch (the same scan by two cases) runs once. A script may ask to
// go first (a sample whose clock should start at once) or last (one that waits, or reads what the
// others did); the rest keep the order they were asked in.
import type { GuestRunOptions, GuestShell, ScriptResult } from './check.ts';

interface Request {
  readonly script: string;
  readonly timeoutMs?: number;
  readonly position?: GuestRunOptions['position'];
  readonly resolve: (result: ScriptResult) => void;
  readonly reject: (error: unknown) => void;
}

/** The guest script that runs `scripts` in order, each between markers carrying `tag` (a fresh nonce). */
export function batchScript(scripts: readonly string[], tag: string): string {
  // The begin marker ends a line of its own; the end marker starts one, so an output without a
  // final newline is returned as it was (the newline before the end marker is the batch's, not the script's).
  return scripts.map((script, i) => `printf '%s\\n' '${tag} ${i} b'\n(\n${script}\n)\nprintf '\\n%s %s\\n' '${tag} ${i} e' "$?"`).join('\n');
}

/** Split a batch's output back into each script's output and status; undefined where a part is missing or garbled. */
export function splitBatch(output: string, tag: string, count: number): (Omit<ScriptResult, 'durationMs'> | undefined)[] {
  const parts: (Omit<ScriptResult, 'durationMs'> | undefined)[] = [];
  let from = 0;
  for (let i = 0; i < count; i++) {
    const begin = `${tag} ${i} b\n`;
    const start = output.indexOf(begin, from);
    const endMarker = new RegExp(`\\n${tag} ${i} e (\\d+)\\n`, 'g');
    endMarker.lastIndex = start === -1 ? 0 : start + begin.length - 1;
    const end = start === -1 ? null : endMarker.exec(output);
    if (start === -1 || !end) {
      parts.push(undefined);
      continue;
    }
    parts.push({ status: Number(end[1]), output: output.slice(start + begin.length, end.index) });
    from = end.index + end[0].length;
  }
  return parts;
}

const rank = (position: GuestRunOptions['position']): number => (position === 'first' ? 0 : position === 'last' ? 2 : 1);

/** The distinct scripts of a batch in the order they run: `first` ones, the others, `last` ones, each group in the order asked. */
export function batchOrder(requests: readonly Pick<Request, 'script' | 'position'>[]): string[] {
  const position = new Map<string, number>();
  for (const r of requests) position.set(r.script, Math.min(position.get(r.script) ?? 2, rank(r.position)));
  return [...position.keys()].sort((a, b) => position.get(a)! - position.get(b)!);
}

/** A GuestShell that gathers the scripts asked for at about the same time into one guest script. */
export class BatchedShell implements GuestShell {
  #waiting: Request[] = [];
  #inFlight = false;
  #scheduled = false;

  /**
   * @param inner the shell that runs one script at a time
   * @param tag a fresh nonce per batch, so a script's output cannot forge a marker
   * @param gatherMs how long the first request waits for others started in the same moment
   */
  constructor(
    private readonly inner: GuestShell,
    private readonly tag: () => string,
    private readonly gatherMs = 25,
  ) {}

  run(script: string, options?: GuestRunOptions): Promise<ScriptResult> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ script, timeoutMs: options?.timeoutMs, position: options?.position, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#inFlight || this.#scheduled) return;
    this.#scheduled = true;
    setTimeout(() => {
      this.#scheduled = false;
      void this.#flush();
    }, this.gatherMs);
  }

  async #flush(): Promise<void> {
    const batch = this.#waiting.splice(0);
    if (batch.length === 0) return;
    this.#inFlight = true;
    try {
      const scripts = batchOrder(batch);
      // The longest deadline asked for: a batch must not cut short the slowest script in it.
      const asked = batch.map((r) => r.timeoutMs).filter((t): t is number => t !== undefined);
      const timeoutMs = asked.length ? Math.max(...asked) : undefined;
      try {
        if (scripts.length === 1) {
          const result = await this.inner.run(scripts[0]!, { timeoutMs });
          for (const r of batch) r.resolve(result);
          return;
        }
        const tag = `kt${this.tag()}`;
        const result = await this.inner.run(batchScript(scripts, tag), { timeoutMs });
        const parts = splitBatch(result.output, tag, scripts.length);
        for (const r of batch) {
          const part = parts[scripts.indexOf(r.script)];
          if (part) r.resolve({ ...part, durationMs: result.durationMs });
          else r.reject(new Error(`the guest's answer to a batch of ${scripts.length} scripts lacks the part of one (status ${result.status})`));
        }
      } catch (error) {
        for (const r of batch) r.reject(error);
      }
    } finally {
      this.#inFlight = false;
      if (this.#waiting.length) this.#schedule();
    }
  }
}
