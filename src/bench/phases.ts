// The phases of one run, read from its timeline (pure): the case phase after the shell answered,
// and the boot cut into the stages of src/console/boot-stage.ts.
import type { BootStage } from '../console/boot-stage.ts';

/** Milliseconds from the shell answering to the last case verdict (timeline marks shell-ready and case:*); undefined without them. */
export function casePhaseMs(timeline: Readonly<Record<string, number | undefined>>): number | undefined {
  const ready = timeline['shell-ready'];
  const ends = Object.entries(timeline).filter(([key, ms]) => key.startsWith('case:') && ms !== undefined && Number.isFinite(ms)).map(([, ms]) => ms as number);
  if (ready === undefined || ends.length === 0) return undefined;
  return Math.max(...ends) - ready;
}

/** Milliseconds from the shell answering to the end of the step `last` in the bare driver's marks (step:<label>). */
export function bareEvidenceMs(marks: Readonly<Record<string, number>>, last: string | undefined): number | undefined {
  const ready = marks['shell-ready'];
  const end = last === undefined ? undefined : marks[`step:${last}`];
  return ready === undefined || end === undefined ? undefined : end - ready;
}

/** Guest processes (host facts) that are not services the cases wait for: the init and containerd boundaries, one-shot tools. */
const NOT_SERVICES = new Set(['init', 'containerd', 'runc']);

/**
 * How long each boot stage took, in milliseconds, on the host's clock (they add up to shell-found):
 *
 * - firmware: QEMU start to the kernel's clock starting (`kernelStartMs`, from the console log:
 *   the host stamp of the `Run /init` line minus its printk stamp);
 * - kernel: to the kernel running init (guest:init-started);
 * - init: to containerd starting (guest:containerd-started);
 * - services: to the last service process starting (the latest other guest:*-started: shims, rngd, DHCP client);
 * - shell: to the shell answering a probe (shell-found).
 *
 * The guest:* entries are on the guest's clock and are moved to the host's by `kernelStartMs`.
 * A stage whose ends are unknown is left out; the shell stage is negative when the shell answered
 * before the last service started.
 */
export function bootStageDurations(timeline: Readonly<Record<string, number | undefined>>, kernelStartMs: number | undefined): Partial<Record<BootStage, number>> {
  const init = timeline['guest:init-started'];
  const containerd = timeline['guest:containerd-started'];
  const services = Object.entries(timeline)
    .filter(([key, ms]) => /^guest:.+-started$/.test(key) && !NOT_SERVICES.has(key.slice(6, -8)) && ms !== undefined)
    .map(([, ms]) => ms as number);
  const lastService = services.length ? Math.max(...services, containerd ?? 0) : containerd;
  const shell = timeline['shell-found'] ?? timeline['shell-ready'];
  const stages: Partial<Record<BootStage, number>> = {};
  const put = (stage: BootStage, from: number | undefined, to: number | undefined) => {
    if (from !== undefined && to !== undefined) stages[stage] = to - from;
  };
  put('firmware', 0, kernelStartMs);
  put('kernel', 0, init);
  put('init', init, containerd);
  put('services', containerd, lastService);
  put('shell', kernelStartMs === undefined || lastService === undefined ? undefined : kernelStartMs + lastService, shell);
  return stages;
}

/** How long each of the bare driver's steps took (ms), each from the end of the one before (the first from shell-ready); a step's wait (afterMs) is in it. */
export function stepDurations(marks: Readonly<Record<string, number>>, labels: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  let previous = marks['shell-ready'];
  for (const label of labels) {
    const end = marks[`step:${label}`];
    if (previous !== undefined && end !== undefined) out[label] = Math.round(end - previous);
    previous = end;
  }
  return out;
}
