// Phase 3 of a run: the facts the run reports besides its verdicts, read from the guest and from QEMU
// before the machine stops. Informative only: a failure here changes no verdict.
import type { BootSession } from '../../boot/session.ts';
import type { GuestShell } from '../../cases/check.ts';
import { type SystemFacts, systemFactsScript, parseSystemFacts } from '../../cases/system-facts.ts';
import type { RunReport, Timeline } from '../../report/model.ts';

export interface RunFacts {
  readonly memory?: NonNullable<RunReport['memory']>;
  /** When the guest's services started and its uptime when read, ms since the kernel started. */
  readonly timeline: Timeline;
  /** QEMU's run state over QMP after the cases, when QMP answered it. */
  readonly qmpStatus?: string;
}

/**
 * Ask for the guest's facts (memory, service start times). Asked for before the cases' probes and
 * sent last in their first evidence pass, instead of one more round trip at the end.
 */
export function askSystemFacts(host: GuestShell): Promise<SystemFacts | undefined> {
  return host
    .run(systemFactsScript, { position: 'last' })
    .then((r) => parseSystemFacts(r.output))
    .catch(() => undefined);
}

/** The facts once the cases are judged: the guest's answer to `askSystemFacts`, and QEMU's run state. */
export async function collectFacts(machine: Pick<BootSession, 'hasQmp' | 'machineStatus'>, asked: Promise<SystemFacts | undefined> | undefined): Promise<RunFacts> {
  const facts = await asked;
  const qmpStatus = machine.hasQmp ? await machine.machineStatus().catch(() => undefined) : undefined;
  return { ...guestFacts(facts), ...(qmpStatus === undefined ? {} : { qmpStatus }) };
}

/** The report's memory and timeline entries from the guest's facts. */
export function guestFacts(facts: SystemFacts | undefined): Pick<RunFacts, 'memory' | 'timeline'> {
  const timeline: Timeline = {};
  if (!facts) return { timeline };
  for (const [name, at] of Object.entries(facts.startedAtS)) timeline[`guest:${name}-started`] = Math.round(at * 1000);
  if (facts.uptimeS !== undefined) timeline['guest:uptime-at-facts'] = Math.round(facts.uptimeS * 1000);
  return { memory: { usedKiB: facts.usedKiB, rssKiB: facts.rssKiB }, timeline };
}
