// The guest commands of one harness run: what runTarget types after the shell answers on an image
// that passes. The scripts are taken from the checks themselves (run against a recording shell),
// and grouped the way the harness sends them (one batch per poll, batchScript of
// src/cases/batched-shell.ts), so the bare driver types what the harness types, with no copy to
// drift out of date.
import { freshNonce } from '../console/framing.ts';
import { batchOrder, batchScript } from '../cases/batched-shell.ts';
import type { GuestRunOptions, ScriptResult } from '../cases/check.ts';
import { settingDefaults } from '../cases/case-schema.ts';
import { checkNamed } from '../cases/checks/index.ts';
import { nextSampleScript, rngCheck, rngSettings, type RngCaseSettings } from '../cases/checks/rng.ts';
import { systemContextScript } from '../boot/system-context.ts';
import { systemFactsScript } from '../cases/system-facts.ts';
import type { CaseDef } from '../cases/case-files.ts';

/** One guest script and the name it is reported under; `afterMs`: wait this long after the previous script's answer. */
export interface GuestStep {
  readonly label: string;
  readonly script: string;
  readonly afterMs?: number;
  /** The script to send instead, built from the previous step's answer; `script` after `afterMs` when it gives none. */
  readonly fromAnswer?: (answer: string) => string | undefined;
}

/** One script a check sent, and where it asked to go in its batch (GuestRunOptions.position; absent: in the order asked). */
interface AskedScript {
  readonly script: string;
  readonly position?: GuestRunOptions['position'];
}

/** The scripts one case's check sent on its first attempt, in order. */
export interface CheckScripts {
  readonly id: string;
  readonly check: string;
  readonly asked: readonly AskedScript[];
}

/** One poll of the evidence phase: the scripts asked for at the same moment, sent as one guest script. */
interface EvidencePoll {
  readonly label: string;
  readonly scripts: readonly string[];
  /** Wait this long after the previous poll's answer (the rng case's sample gap), 0 for at once. */
  readonly afterMs: number;
  /** The poll's script built from the answer before it instead (see GuestStep.fromAnswer). */
  readonly fromAnswer?: (answer: string) => string | undefined;
}

/** What runTarget types once the shell answers, in order. */
export interface GuestWork {
  /** Runs in the console shell itself; its output decides whether the rest goes through nsenter. */
  readonly context: string;
  /** What each case's check sent on its first attempt (case order; the boot case sends nothing). */
  readonly checks: readonly CheckScripts[];
  /** The minimal evidence: the polls that give every case its verdict on a good image (see evidencePolls). */
  readonly polls: readonly EvidencePoll[];
  /** Memory and service start times, read last in the first poll; in PID 1's namespaces. */
  readonly hostFacts: string;
}

// The host's view is read on the host, not typed into the guest: an empty capture will do.
const emptyWire = { mac: '52:54:00:00:00:00', readWire: () => ({ records: [] }) };

/**
 * The polls the harness sends on a good image, where every check passes on its first attempt:
 * poll k batches the k-th script of every check that sent k or more (the checks run side by side,
 * so their k-th scripts are asked for in the same moment; a script asked for twice runs once), in
 * the order BatchedShell gives them, with the host facts last in the first; then each rng case's
 * second sample, which waits on the guest's clock until `sampleGapMs` after the first sample ended
 * (built from the first poll's answer; without a clock reading, sent `sampleGapMs` after it).
 */
export function evidencePolls(recorded: readonly CheckScripts[], cases: readonly CaseDef[], hostFacts?: string): EvidencePoll[] {
  const polls: EvidencePoll[] = [];
  const depth = Math.max(0, ...recorded.map((c) => c.asked.length));
  for (let k = 0; k < depth; k++) {
    const asked = recorded.flatMap((c) => c.asked.slice(k, k + 1));
    if (k === 0 && hostFacts !== undefined) asked.push({ script: hostFacts, position: 'last' });
    polls.push({ label: `evidence-${k + 1}`, scripts: batchOrder(asked), afterMs: 0 });
  }
  for (const c of recorded) {
    const sample = c.asked[0]?.script;
    if (c.check !== 'rng' || !sample) continue;
    const def = cases.find((d) => d.id === c.id);
    const settings = rngSettings({ ...(settingDefaults(rngCheck) as unknown as RngCaseSettings), ...(def?.settings as Partial<RngCaseSettings> | undefined) });
    polls.push({ label: `${c.id}-second-sample`, scripts: [sample], afterMs: settings.sampleGapMs, fromAnswer: (answer) => nextSampleScript(settings, answer) });
  }
  return polls;
}

/** The guest script of one poll, as BatchedShell sends it: a lone script as it is, several as one batch tagged `kt<tag>`. */
export function pollScript(poll: EvidencePoll, tag: string): string {
  return poll.scripts.length === 1 ? (poll.scripts[0] as string) : batchScript(poll.scripts, `kt${tag}`);
}

/** Everything typed after the context script, in order, with fresh batch tags (the host facts are in the first poll). */
export function guestSteps(work: GuestWork, tag: () => string = freshNonce): GuestStep[] {
  return work.polls.map((p) => ({ label: p.label, script: pollScript(p, tag()), afterMs: p.afterMs, ...(p.fromAnswer ? { fromAnswer: p.fromAnswer } : {}) }));
}

/**
 * The scripts each case's check sends on its first attempt, in case order, and the polls they make.
 * The recording shell answers every script with empty output, and its clock jumps an hour per
 * reading so a check that retries until its settle time gives up after one attempt instead of waiting.
 */
export async function guestWork(cases: readonly CaseDef[], checkNonce: () => string = freshNonce): Promise<GuestWork> {
  const recorded: CheckScripts[] = [];
  for (const def of cases) {
    if (def.check === 'boot') continue;
    const { check } = checkNamed(def.check);
    if (!check) throw new Error(`check ${def.check} has no judge of its own`);
    const asked: AskedScript[] = [];
    let clock = 0;
    const host = {
      run: async (script: string, options?: GuestRunOptions): Promise<ScriptResult> => {
        asked.push({ script, ...(options?.position ? { position: options.position } : {}) });
        return { status: 0, output: '', durationMs: 0 };
      },
    };
    try {
      await check({ system: host, hostView: emptyWire, settings: def.settings, settleMs: 0, timeoutMs: 3_600_000, nonce: checkNonce, now: () => (clock += 3_600_000) });
    } catch {
      // A judge may reject empty output by throwing; the scripts it sent are recorded all the same.
    }
    if (asked.length === 0) throw new Error(`check ${def.check} sent no script to record`);
    recorded.push({ id: def.id, check: def.check, asked });
  }
  return { context: systemContextScript, checks: recorded, polls: evidencePolls(recorded, cases, systemFactsScript), hostFacts: systemFactsScript };
}
