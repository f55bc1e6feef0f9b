// Samples are only worth comparing on a quiet host: wait while another QEMU runs, and note the
// samples during which one showed up anyway or other processes took a share of the CPU.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuTicks, foreignCores, foreignQemu, type CpuTicks } from './host-info.ts';

/** What went on around one sample. */
export interface SampleNote {
  readonly label: string;
  readonly wallMs: number;
  /** Cores' worth of CPU used by processes other than this bench and its children, on average. */
  readonly foreignCores?: number;
  /** QEMU processes this bench did not start that ran during the sample. */
  readonly otherQemu: number[];
}

/** Thrown by a sample asked for after the bench was interrupted: nothing more starts. */
export class BenchInterrupted extends Error {
  override readonly name = 'BenchInterrupted';
}

/** Other processes using more than this many cores on average make a sample "disturbed". */
const foreignCoresLimit = 0.25;

/** Options of the sample gate. */
interface GateOptions {
  readonly progress: (line: string) => void;
  readonly signal?: AbortSignal;
  /** Longest wait for other QEMU processes to end before a sample starts anyway (default 30 min). */
  readonly maxWaitMs?: number;
  /** How often to look (default 10 s while waiting, 5 s during a sample). */
  readonly pollMs?: number;
  /** Injected for tests: the PIDs of QEMU processes this process did not start. */
  readonly others?: () => number[];
  /** Injected for tests: CPU counters (see cpuTicks). */
  readonly ticks?: () => CpuTicks | undefined;
}

/** A `sample(label, run)` wrapper and the list of samples another QEMU disturbed. */
export function sampleGate(options: GateOptions): { sample: <T>(label: string, run: () => Promise<T>) => Promise<T>; disturbed: string[]; notes: SampleNote[] } {
  const others = options.others ?? (() => foreignQemu());
  const ticks = options.ticks ?? (() => cpuTicks());
  const poll = options.pollMs ?? 10_000;
  const disturbed: string[] = [];
  const notes: SampleNote[] = [];
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
    if (options.signal?.aborted) throw new BenchInterrupted(`${label}: not started, the bench was interrupted`);
    const seen = new Set<number>(others());
    const timer = setInterval(() => others().forEach((p) => seen.add(p)), Math.max(1, Math.floor(poll / 2)));
    const before = ticks();
    const started = performance.now();
    try {
      return await run();
    } finally {
      clearInterval(timer);
      const wallMs = Math.round(performance.now() - started);
      const after = ticks();
      others().forEach((p) => seen.add(p));
      const foreign = before && after ? Math.round(foreignCores(before, after, wallMs) * 100) / 100 : undefined;
      notes.push({ label, wallMs, foreignCores: foreign, otherQemu: [...seen] });
      const why = [...(seen.size ? [`QEMU pids ${[...seen].join(', ')}`] : []), ...(foreign !== undefined && foreign > foreignCoresLimit ? [`other processes used ${foreign.toFixed(2)} cores`] : [])];
      if (why.length) disturbed.push(`${label} (${why.join('; ')})`);
    }
  };
  return { sample, disturbed, notes };
}
