// The contract between the case runner and the built-in checks.
import type { CommandResult } from '../console/verbs.ts';
import type { WireRead } from '../wire/capture.ts';

/** Result of one script run on the guest console. */
export interface ScriptResult extends CommandResult {
  readonly durationMs: number;
}

/** How a check asks for one script. */
export interface GuestRunOptions {
  readonly timeoutMs?: number;
  /**
   * Where the script goes when it is sent with others as one evidence pass (src/cases/batched-shell.ts):
   * `first` for a sample whose clock should start as soon as possible, `last` for one that should see
   * what the others did, or that waits on the guest's clock and should let them use the wait.
   */
  readonly position?: 'first' | 'last';
}

/** A shell on the guest that runs scripts in PID 1's namespaces (the guest's system, not the getty container). */
export interface GuestShell {
  run(script: string, options?: GuestRunOptions): Promise<ScriptResult>;
}

/** What the host itself observes of the machine: evidence the guest can neither fake nor lose. */
export interface HostView {
  /** MAC address of the guest NIC, as kittest gave it to QEMU. */
  readonly mac: string;
  /** Every frame of the guest NIC captured so far (times in seconds since QEMU started, with their direction), why it cannot be read, or that it passed its cap. */
  readonly readWire: () => WireRead;
  /** QEMU's run state over QMP (`running`, `paused`, `guest-panicked`, ...), where QMP answers. */
  readonly machineStatus?: () => Promise<string>;
}

export interface CheckContext<S = unknown> {
  /** Scripts in PID 1's namespaces: the guest's system ("host" means only the real machine running QEMU). */
  readonly system: GuestShell;
  /** The host's own view (wire capture); absent where a caller has none (e.g. unit tests). */
  readonly hostView?: HostView;
  /** The case's settings, with the check's defaults for those it leaves out. */
  readonly settings: S;
  /** The console shell itself (not PID 1's namespaces), for checks that ask for it; absent in unit tests. */
  readonly console?: GuestShell;
  /** How long to keep retrying while services are still starting (0: judge once). */
  readonly settleMs: number;
  /** Deadline for the whole check, in milliseconds. */
  readonly timeoutMs: number;
  /** A fresh random token (hex) for this check. */
  readonly nonce: () => string;
  readonly now: () => number;
}

/** What a check concluded: `message` says why in one line, `evidence` is what the guest showed. */
export interface Verdict {
  readonly passed: boolean;
  readonly message: string;
  readonly evidence: string;
  /** The case has nothing to judge on this image (`message` says why): reported skipped, it does not fail the run. */
  readonly notApplicable?: boolean;
}

type Check<S = unknown> = (context: CheckContext<S>) => Promise<Verdict>;

/** A JSON Schema fragment (one setting's type, with its `default` and `description`). */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** Where a case can run; elsewhere it is `skipped` with that reason. Empty or absent: everywhere. */
export interface AppliesTo {
  readonly targets?: readonly string[];
  readonly formats?: readonly string[];
}

/**
 * A built-in check, declared in one place: the name a case's `check:` field uses, every setting it
 * reads (JSON Schema, with the default a case may leave out), where it applies, and the judge.
 * The case schema is assembled from these, so a case file cannot set what its check does not read.
 */
export interface CheckModule<S = unknown> {
  readonly name: string;
  /** One line for the schema and `kittest list cases`. */
  readonly summary: string;
  /** Each setting the check reads. A setting without a `default` is optional (absent from `S`). */
  readonly settings: Readonly<Record<string, JsonSchema>>;
  /** The check retries while services start, for the case's `settleMs` (a setting it then reads). */
  readonly settles?: boolean;
  /** The regular expressions among the settings as written (paths under `settings`), compiled when the case is loaded (file:line when bad). */
  readonly regexFields?: (written: Readonly<Record<string, unknown>>) => readonly { readonly path: readonly (string | number)[]; readonly source: string }[];
  /** Problems the schema cannot express (which keys go together), each at its path under `settings`. */
  readonly problems?: (written: Readonly<Record<string, unknown>>) => readonly { readonly path: readonly (string | number)[]; readonly problem: string }[];
  readonly appliesTo?: AppliesTo;
  /** Judge a booted machine; absent for `boot`, which the runner judges while it boots the machine. */
  readonly check?: Check<S>;
}

/** Declare a check (types the judge's settings from `S`). */
export const defineCheck = <S>(module: CheckModule<S>): CheckModule<S> => module;

/**
 * Run `attempt` until it passes or `settleMs` (bounded by the check deadline) is over; return the last
 * verdict. A failed verdict for which `retry` says false is returned at once (waiting cannot change it).
 */
export async function settle(
  context: CheckContext<unknown>,
  attempt: () => Promise<Verdict>,
  intervalMs = 2000,
  retry: (verdict: Verdict) => boolean = () => true,
): Promise<Verdict> {
  const start = context.now();
  const settleMs = Math.min(context.settleMs, Math.max(0, context.timeoutMs - 5000));
  for (;;) {
    const verdict = await attempt();
    if (verdict.passed || !retry(verdict) || context.now() - start + intervalMs > settleMs) return verdict;
    await sleep(intervalMs);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const pass = (message: string, evidence: string): Verdict => ({ passed: true, message, evidence });
export const fail = (message: string, evidence: string): Verdict => ({ passed: false, message, evidence });
export const doesNotApply = (message: string, evidence: string): Verdict => ({ passed: false, message, evidence, notApplicable: true });
