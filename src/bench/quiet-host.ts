// Samples are only worth comparing on a quiet host: wait while another QEMU runs, and note the
// samples during which one showed up anyway.
import { setTimeout as sleep } from 'node:timers/promises';
import { foreignQemu } from './host-info.ts';

/** Options of the sample gate. */
export interface GateOptions {
  readonly progress: (line: string) => void;
  readonly signal?: AbortSignal;
  /** Longest wait for other QEMU processes to end before a sample starts anyway (default 30 min). */
  readonly maxWaitMs?: number;
  /** How often to look (default 10 s while waiting, 5 s during a sample). */
  readonly pollMs?: number;
  /** Injected for tests: the PIDs of QEMU processes this process did not start. */
  readonly others?: () => number[];
}

/** A `sample(label, run)` wrapper and the list of samples another QEMU disturbed. */
export function sampleGate(options: GateOptions): { sample: <T>(label: string, run: () => Promise<T>) => Promise<T>; disturbed: string[] } {
  const others = options.others ?? (() => foreignQemu());
  const poll = options.pollMs ?? 10_000;
  const disturbed: string[] = [];
  const sample = async <T>(label: string, run: () => Promise<T>): Promise<T> => {
    const waitStart = Date.now();
    for (let pids = others(); pids.length > 0 && !options.signal?.aborted; pids = others()) {
      if (Date.now() - waitStart > (options.maxWaitMs ?? 30 * 60_000)) {
        options.progress(`${label}: other QEMU processes still running after ${Math.round((Date.now() - waitStart) / 60_000)} min; starting anyway`);
        break;
      }
      options.progress(`${label}: waiting, other QEMU processes are running (pids ${pids.join(', ')})`);
      await sleep(poll, undefined, { signal: options.signal }).catch(() => {});
    }
    const seen = new Set<number>(others());
    const timer = setInterval(() => others().forEach((p) => seen.add(p)), Math.max(1, Math.floor(poll / 2)));
    try {
      return await run();
    } finally {
      clearInterval(timer);
      others().forEach((p) => seen.add(p));
      if (seen.size) disturbed.push(`${label} (pids ${[...seen].join(', ')})`);
    }
  };
  return { sample, disturbed };
}
