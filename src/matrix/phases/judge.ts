// Phase 2 of a run: judge every case but the boot case, side by side, on the shell the boot found.
import type { SystemAccess } from '../../boot/session.ts';
import { checkNamed } from '../../cases/checks/index.ts';
import type { GuestShell, HostView } from '../../cases/check.ts';
import { type CaseDef, notApplicable } from '../../cases/case-files.ts';
import type { Target } from '../../config/targets.ts';
import { firstLine, MachineError } from '../../errors.ts';
import { type CaseReport, truncated } from '../../report/model.ts';
import { caseErrorStatus, judgedStatus, notApplicableHere, notRunStatus } from '../../report/status.ts';
import { withDeadline } from '../../util/deadline.ts';
import { type CaseVerdict, type OnCase, type RunMachine, troubleNow, withVerdict } from './machine.ts';

interface JudgeRequest {
  readonly target: Target;
  /** The image's format (a case may apply to some formats only). */
  readonly format: string;
  readonly cases: readonly CaseDef[];
  readonly signal?: AbortSignal;
  readonly onCase?: OnCase;
}

/** Where the cases' scripts go and what else they may look at. */
interface JudgeShells {
  /** Scripts in PID 1's namespaces, batched: the cases' scripts asked for at the same time go to the guest as one. */
  readonly system: GuestShell;
  readonly console: SystemAccess['console'];
  /** Why PID 1 cannot be reached from the console: then no case is run. */
  readonly unreachable?: string;
  readonly hostView: HostView;
  readonly nonce: () => string;
}

/**
 * Judge the cases side by side: their settle windows overlap (a failing image costs one window, not
 * the sum). Each verdict goes to `onCase` the moment it is known; resolves with them by case index.
 */
export async function judgePhase(machine: RunMachine, shells: JudgeShells, request: JudgeRequest): Promise<Map<number, CaseReport>> {
  const { engine } = machine;
  const caseStart = engine.now();
  const position = engine.position;
  const reports = new Map<number, CaseReport>();
  const decide = (index: number, def: CaseDef, verdict: CaseVerdict) => {
    const report = withVerdict(def, verdict);
    reports.set(index, report);
    request.onCase?.(report);
  };
  const judgeOne = async (index: number, def: CaseDef): Promise<void> => {
    const elsewhere = notApplicable(def, request.target.name, request.format);
    if (elsewhere) return decide(index, def, notApplicableHere(elsewhere));
    if (shells.unreachable) return decide(index, def, { status: notRunStatus(troubleNow(machine, request.signal)), message: `not run: ${shells.unreachable}` });
    const { check } = checkNamed(def.check);
    const settleMs = typeof def.settings.settleMs === 'number' ? def.settings.settleMs : 0;
    const timeoutMs = def.timeoutMs ?? settleMs + request.target.timeouts.commandMs;
    try {
      if (!check) throw new Error(`check ${def.check} has no judge of its own`);
      const context = { system: shells.system, console: shells.console, hostView: shells.hostView, settings: def.settings, settleMs, timeoutMs, nonce: shells.nonce, now: () => engine.now() };
      const result = await withDeadline(check(context), timeoutMs, () => {
        throw new Error(`case ${def.id} did not finish within ${timeoutMs} ms`);
      });
      // A fatal event that arrived with the last output (a panic in the same chunk as the end marker) still counts.
      if (engine.failure) throw new MachineError(`${engine.failure.pattern}: ${engine.failure.line}`, false, engine.lastLines());
      decide(index, def, {
        status: judgedStatus(result),
        ...(result.notApplicable && !result.passed ? { notApplicable: true as const } : {}),
        message: result.message,
        evidence: truncated(result.evidence),
        durationMs: Math.round(engine.now() - caseStart),
        console: truncated(engine.slice(position), 64_000),
      });
    } catch (error) {
      decide(index, def, {
        status: caseErrorStatus(troubleNow(machine, request.signal)),
        message: machine.hostError ?? firstLine(error),
        evidence: truncated(engine.lastLines(40).join('\n')),
        durationMs: Math.round(engine.now() - caseStart),
        console: truncated(engine.slice(position), 64_000),
      });
    } finally {
      engine.mark(`case:${def.id}`);
    }
  };
  await Promise.all([...request.cases.entries()].map(([index, def]) => (def.check === 'boot' ? undefined : judgeOne(index, def))));
  return reports;
}
