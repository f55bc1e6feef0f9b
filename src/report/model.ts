// The shape of a kittest report: what --json writes and every other writer reads.

export type CaseStatus = 'passed' | 'failed' | 'error' | 'skipped' | 'interrupted';
export type RunStatus = 'passed' | 'failed' | 'error' | 'interrupted' | 'flaky';

export interface CaseReport {
  readonly id: string;
  readonly title: string;
  status: CaseStatus;
  durationMs: number;
  message: string;
  /** What the guest showed (command output), capped. */
  evidence: string;
  /** Console lines printed while the case ran (for JUnit system-out). */
  console?: string;
  /** Skipped because the case does not apply here (appliesTo, or nothing to judge on this image): it does not fail the run. */
  notApplicable?: true;
}

/** Named moments of one run, in milliseconds since QEMU started. */
export type Timeline = Record<string, number>;

export interface RunReport {
  readonly target: string;
  readonly image: {
    readonly path: string;
    readonly format: string;
    readonly sha256: Record<string, string>;
    readonly sizeBytes: number;
    readonly kernelArch?: string;
  };
  readonly accel: string;
  readonly accelReason: string;
  status: RunStatus;
  attempts: number;
  startedAt: string;
  durationMs: number;
  message?: string;
  /** `unsafe`: the target's reason for QEMU settings that may reach the host (qemu.unsafe), when it has one. */
  qemu: { argv: string[]; exit?: string; version?: string; unsafe?: string };
  timeline: Timeline;
  memory?: { usedKiB?: number; rssKiB?: Record<string, number> };
  /** The host's QMP view: the machine's last status and the events QEMU sent (or why QMP was unreachable). */
  qmp?: { status?: string; events: { event: string; data?: unknown }[]; error?: string };
  /** A panic, Oops or crash seen at any moment of the run (console or QMP): the run fails whatever the cases say. */
  machineFailure?: { what: string; atMs: number };
  /** The host failed the run (its disk filled up or failed while kittest wrote the run's files): one line naming the file. */
  hostError?: string;
  /** The wire capture passed its cap (16 MiB) and kittest stopped it: when. A host-side fact, no verdict by itself. */
  wireCapped?: string;
  cases: CaseReport[];
  artifacts?: string;
}

interface Summary {
  passed: number;
  failed: number;
  error: number;
  skipped: number;
  interrupted: number;
}

/**
 * What a `--profile` run claims: which profile (name, version, file hash), exactly which case files
 * judged it (path in their folder + sha256), which kittest and which QEMU per target. The
 * accelerator, image sha256s and verdicts it rests on are in the runs. `kittest report verify`
 * recomputes what it can.
 */
export interface ConformanceStatement {
  readonly profile: {
    readonly name: string;
    readonly version: string;
    /** "profiles" for a built-in profile, else the folder's path as given. */
    readonly folder: string;
    readonly path: string;
    readonly sha256: string;
    readonly cases: readonly string[];
  };
  readonly kittest: string;
  /** Every case file the runs used, in run order: its folder ("cases" for the built-ins, else the --cases folder as given), name there and sha256. */
  readonly cases: readonly { readonly id: string; readonly folder: string; readonly path: string; readonly sha256: string }[];
  /** QEMU version per target (`qemu-system-* --version`), as `run.qemu.version` also holds. */
  readonly qemu: Record<string, string>;
}

export interface Report {
  readonly tool: { name: 'kittest'; version: string };
  /** Present when the runs were a profile's (`kittest run --profile`). */
  statement?: ConformanceStatement;
  runs: RunReport[];
  summary: Summary;
}

/** Count case verdicts over all runs. */
export function summarize(runs: readonly RunReport[]): Summary {
  const summary: Summary = { passed: 0, failed: 0, error: 0, skipped: 0, interrupted: 0 };
  for (const run of runs) for (const c of run.cases) summary[c.status] += 1;
  return summary;
}

/** A text kept in reports, cut to `max` characters (guest output is untrusted and may be huge). */
export function truncated(text: string, max = 8000): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n[kittest: ${text.length - max} more characters cut]`;
}
