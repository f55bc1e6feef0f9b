// The contract between the case runner and the built-in checks.
import type { CaseSettings } from '../config/cases.ts';
import type { PcapRecord } from '../wire/pcap.ts';

/** Result of one script run on the guest console. */
export interface ScriptResult {
  readonly status: number;
  readonly output: string;
  readonly durationMs: number;
}

/** A shell on the guest that runs scripts in PID 1's namespaces (the host, not the getty container). */
export interface GuestShell {
  run(script: string, options?: { timeoutMs?: number }): Promise<ScriptResult>;
}

/** What the host itself observes of the machine: evidence the guest can neither fake nor lose. */
export interface HostView {
  /** MAC address of the guest NIC, as kittest gave it to QEMU. */
  readonly mac: string;
  /** Every frame of the guest NIC captured so far (times in seconds since QEMU started), or why the capture cannot be read. */
  readonly readWire: () => { readonly records: readonly PcapRecord[]; readonly error?: string };
}

export interface CheckContext {
  readonly host: GuestShell;
  /** The host's own view (wire capture); absent where a caller has none (e.g. unit tests). */
  readonly hostView?: HostView;
  readonly settings: CaseSettings;
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
}

export type Check = (context: CheckContext) => Promise<Verdict>;

/**
 * Run `attempt` until it passes or `settleMs` (bounded by the check deadline) is over; return the last
 * verdict. A failed verdict for which `retry` says false is returned at once (waiting cannot change it).
 */
export async function settle(
  context: CheckContext,
  attempt: () => Promise<Verdict>,
  intervalMs = 2000,
  retry: (verdict: Verdict) => boolean = () => true,
): Promise<Verdict> {
  const start = context.now();
  const settleMs = Math.min(context.settings.settleMs ?? 0, Math.max(0, context.timeoutMs - 5000));
  for (;;) {
    const verdict = await attempt();
    if (verdict.passed || !retry(verdict) || context.now() - start + intervalMs > settleMs) return verdict;
    await sleep(intervalMs);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const pass = (message: string, evidence: string): Verdict => ({ passed: true, message, evidence });
export const fail = (message: string, evidence: string): Verdict => ({ passed: false, message, evidence });
