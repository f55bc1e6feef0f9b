// The shape of a bench result (bench/results/*.json) and where it is saved.
import type { BootStage } from '../console/boot-stage.ts';
import type { HostInfo } from './host-info.ts';
import type { SampleNote } from './quiet-host.ts';
import type { PairedRatio, Spread } from './stats.ts';

/** One measured quantity against its goal. */
export interface Goal {
  readonly value?: number;
  /** 'max': value must be <= limit; 'min': value must be >= limit. */
  readonly kind: 'max' | 'min';
  readonly limit: number;
  readonly met?: boolean;
}

/**
 * Parts 1 and 2: one full harness run (a) against the bare driver (b) on one target, N interleaved
 * pairs; the whole run (overhead) and the case phase after the shell answered (case phase).
 */
export interface OverheadResult {
  readonly target: string;
  /**
   * cpuMs: CPU time of the driver itself (the bench's Node process; QEMU not included), per run.
   * casePhaseMs: shell answering to the last case verdict, per passing run.
   */
  readonly harness: { readonly wallMs: number[]; readonly cpuMs: number[]; readonly shellReadyMs: number[]; readonly casePhaseMs: number[]; readonly frames: number[]; readonly statuses: string[]; readonly wall?: Spread };
  /**
   * evidenceMs: shell answering to the answer of the last evidence poll (context script, polls and gaps included), per run.
   * stepsMs: per run, how long each step took from the end of the one before (host-context, the polls with their waits, host-facts).
   */
  readonly bare: { readonly wallMs: number[]; readonly cpuMs: number[]; readonly shellReadyMs: number[]; readonly evidenceMs: number[]; readonly stepsMs: Record<string, number>[]; readonly frames: number; readonly errors: string[]; readonly wall?: Spread };
  /** median(harness wall) / median(bare wall). */
  readonly ratio: Goal;
  /** [harness wall, bare wall] of each pair where both sides ran through, in the order taken. */
  readonly pairs: [number, number][];
  /** Geometric mean of the pairs' ratios with its 95% interval: how finely these runs resolve the overhead. */
  readonly paired?: PairedRatio;
  /** Medians of the case phase (harness) and of the minimal evidence script (bare). */
  readonly casePhase: { readonly harness?: Spread; readonly bare?: Spread };
  /** median(harness case phase) / median(bare evidence time). */
  readonly casePhaseRatio: Goal;
  /** Part 3: median harness wall time of a full run (all cases) against this target's limit (ms); no limit, no goal. */
  readonly verdictGoal?: Goal;
  /** median time to the shell answering, harness and bare (shows where the overhead sits). */
  readonly toShellMs: { readonly harness?: number; readonly bare?: number };
  /** Both drivers chose the same way into PID 1's namespaces. */
  readonly sameVia: boolean;
}

/** Part 7: `kittest run` over the matrix with --jobs 1 and --jobs 2. */
export interface MatrixResult {
  readonly targets: readonly string[];
  readonly jobs1: { readonly wallMs: number[]; readonly wall?: Spread; readonly perTargetMs: Record<string, number[]>; readonly exitCodes: number[] };
  readonly jobs2: { readonly wallMs: number[]; readonly wall?: Spread; readonly perTargetMs: Record<string, number[]>; readonly exitCodes: number[] };
  /** median(jobs1) / median(jobs2). */
  readonly speedup: Goal;
  /** Best speed-up for the measured run lengths on 2 workers (bin packing, no contention). */
  readonly idealSpeedup?: number;
  /** Speed-up of runBounded's own order for those lengths (no contention). */
  readonly orderSpeedup?: number;
  /** median per-target run time with 2 jobs over with 1 job: the cost of sharing the cores. */
  readonly slowdown: Record<string, number | undefined>;
  /** median wall time of the whole matrix with --jobs 2 (ms) against its limit. */
  readonly wallGoal: Goal;
}

/** One full run of part 4. verdictMs: last case verdict; wallMs: runTarget returned (QEMU gone); both since runTarget was called. */
export interface VerdictRun {
  readonly verdictMs: number;
  readonly wallMs: number;
  readonly status: string;
  /** "<case> <status>" for every case that did not pass. */
  readonly notPassed: string[];
}

/** Part 4: a failing image's time to verdict against the good image's, interleaved on one target. */
export interface FailingResult {
  readonly target: string;
  readonly image: string;
  /** The good image it is measured against (absent in results written before it was recorded: the reference). */
  readonly goodImage?: string;
  /** The case the failing image fails. */
  readonly failingCase: string;
  /** The allowance: that case's settle window, or a goal of its own. */
  readonly settleMs: number;
  /** verdict: spread of verdictMs over the runs that count (good passed; failing failed its case, no error). */
  readonly good: { readonly runs: VerdictRun[]; readonly verdict?: Spread };
  readonly failing: { readonly runs: VerdictRun[]; readonly verdict?: Spread };
  /** median(failing verdict) - median(good verdict). */
  readonly differenceMs?: number;
  /** differenceMs <= settleMs. */
  readonly goal: Goal;
}

/** One panic run: when the fatal line arrived and when the verdict came, on the engine's clock. */
export interface PanicSample {
  readonly line?: string;
  readonly panicAtMs?: number;
  readonly verdictAtMs?: number;
  readonly endAtMs?: number;
  readonly status: string;
  readonly message: string;
}

/** Part 5: time from the panic line to the boot verdict. */
export interface PanicResult {
  readonly target: string;
  readonly image: string;
  readonly samples: PanicSample[];
  readonly latency?: Spread;
  readonly toEnd?: Spread;
  readonly latencyGoal: Goal;
}

/** Part 6: one target's boot, from the harness runs of part 1. */
export interface BootResult {
  readonly target: string;
  /** Median of each timeline entry (ms since QEMU start; guest:* on the guest's clock since kernel start). */
  readonly timelineMs: Record<string, number>;
  /** Median duration of each boot stage (ms, host clock; see bootStageDurations in phases.ts). */
  readonly stagesMs: Partial<Record<BootStage, number>>;
  readonly memory: { readonly usedKiB?: number; readonly rssKiB: Record<string, number> };
  readonly imageBytes: number;
  readonly imageFormat: string;
}

/** A whole bench run. */
export interface BenchResult {
  readonly schema: 2;
  readonly date: string;
  readonly kittest: string;
  readonly runs: number;
  readonly host: HostInfo & { readonly loadAtStart: number; readonly loadAtEnd: number; readonly foreignQemuAtStart: number[] };
  readonly qemu: Record<string, string>;
  readonly accel: Record<string, { readonly accel: string; readonly reason: string }>;
  readonly durationMs: number;
  /** Samples during which a QEMU this bench did not start ran, or other processes used a share of the CPU (their numbers are suspect). */
  readonly disturbed: string[];
  /** Every sample in the order taken: its wall time and what else ran meanwhile. */
  readonly samples: SampleNote[];
  readonly overhead: OverheadResult[];
  /** The pairs of every target pooled (paired ratios, see OverheadResult.paired): the overhead goal judged on all runs at once. */
  readonly pooledOverhead?: PairedRatio;
  readonly matrix?: MatrixResult;
  readonly panic?: PanicResult;
  readonly failing?: FailingResult;
  /** The LinuxKit-shaped image without rngd against the good one: the declared services end the settle window (goal 5 s). */
  readonly failingLinuxkit?: FailingResult;
  readonly boot: BootResult[];
}

/** A goal checked: `met` is undefined when there is no value. */
export function goal(value: number | undefined, kind: 'max' | 'min', limit: number): Goal {
  if (value === undefined || !Number.isFinite(value)) return { kind, limit };
  return { value, kind, limit, met: kind === 'max' ? value <= limit : value >= limit };
}

/** bench/results/<YYYY-MM-DD>-<host>.json, the date in UTC. */
export function resultFileName(date: Date, host: string): string {
  return `${date.toISOString().slice(0, 10)}-${host}.json`;
}
