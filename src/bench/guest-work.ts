// The guest commands of one harness run, as a list: what runTarget types after the shell answers.
// The scripts are taken from the checks themselves (run against a recording shell), so the bare
// driver types exactly what the harness types, with no copy to drift out of date.
import { randomBytes } from 'node:crypto';
import type { ScriptResult } from '../cases/check.ts';
import { checkNamed } from '../cases/checks/index.ts';
import { hostContextScript } from '../cases/host-context.ts';
import { hostFactsScript } from '../cases/host-facts.ts';
import type { CaseDef } from '../config/cases.ts';

/** One guest script and the name it is reported under. */
export interface GuestStep {
  readonly label: string;
  readonly script: string;
}

/** What runTarget types once the shell answers, in order. */
export interface GuestWork {
  /** Runs in the console shell itself; its output decides whether the rest goes through nsenter. */
  readonly context: string;
  /** The first attempt of every case's check, then the host facts; each runs in PID 1's namespaces. */
  readonly steps: readonly GuestStep[];
}

const nonce = () => randomBytes(6).toString('hex');
// The host's view is read on the host, not typed into the guest: an empty capture will do.
const emptyWire = { mac: '52:54:00:00:00:00', readWire: () => ({ records: [] }) };

/**
 * The scripts each case's check sends on its first attempt, in case order. The recording shell
 * answers every script with empty output, and its clock jumps an hour per reading so a check that
 * retries until its settle time gives up after one attempt instead of waiting.
 */
export async function guestWork(cases: readonly CaseDef[]): Promise<GuestWork> {
  const steps: GuestStep[] = [];
  for (const def of cases) {
    if (def.check === 'boot') continue;
    const { check } = checkNamed(def.check);
    if (!check) throw new Error(`check ${def.check} has no judge of its own`);
    const scripts: string[] = [];
    let clock = 0;
    const host = {
      run: async (script: string): Promise<ScriptResult> => {
        scripts.push(script);
        return { status: 0, output: '', durationMs: 0 };
      },
    };
    try {
      await check({ host, hostView: emptyWire, settings: def.settings, settleMs: 0, timeoutMs: 3_600_000, nonce, now: () => (clock += 3_600_000) });
    } catch {
      // A judge may reject empty output by throwing; the scripts it sent are recorded all the same.
    }
    if (scripts.length === 0) throw new Error(`check ${def.check} sent no script to record`);
    scripts.forEach((script, i) => steps.push({ label: scripts.length === 1 ? def.id : `${def.id}#${i + 1}`, script }));
  }
  steps.push({ label: 'host-facts', script: hostFactsScript });
  return { context: hostContextScript, steps };
}
