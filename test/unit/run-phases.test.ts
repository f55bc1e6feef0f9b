// The phases of one run (src/matrix/phases) and the one status policy (src/report/status.ts),
// each on its own, without QEMU: a console engine fed by hand stands in for the machine.
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BootFailure } from '../../src/boot/session.ts';
import type { GuestShell } from '../../src/cases/check.ts';
import type { CaseDef } from '../../src/cases/case-files.ts';
import { loadTargets } from '../../src/config/targets.ts';
import { ConsoleEngine } from '../../src/console/engine.ts';
import { bootPhase, notRunAfterBootFailure } from '../../src/matrix/phases/boot.ts';
import { askSystemFacts, collectFacts, guestFacts } from '../../src/matrix/phases/facts.ts';
import { assembleReport, emptyReport, type MachineEnd, notStartedReport, saveReport } from '../../src/matrix/phases/finish.ts';
import { judgePhase } from '../../src/matrix/phases/judge.ts';
import { keepFailed } from '../../src/matrix/phases/keep-failed.ts';
import type { BootSession } from '../../src/boot/session.ts';
import type { CaseReport, RunReport } from '../../src/report/model.ts';
import {
  bootFailureStatus,
  caseErrorStatus,
  finishedRunStatus,
  isInfrastructureFault,
  judgedStatus,
  notRunAfterBoot,
  notRunStatus,
  recomputedStatus,
  retriedStatus,
  type Trouble,
} from '../../src/report/status.ts';

const target = loadTargets().find((t) => t.name === 'x86_64')!;
const def = (id: string, check: string, extra: Partial<CaseDef> = {}): CaseDef => ({ id, title: `${id} title`, description: '', check, order: 0, settings: {}, file: `${id}.yml`, ...extra });
const script = (id: string, run: string, extra: Partial<CaseDef> = {}) => def(id, 'script', { settings: { steps: [{ run }] }, ...extra });
const basics = { target, imageInfo: { path: '/images/ref', format: 'kernel+initrd', sha256: {}, sizeBytes: 1 }, accel: { accel: 'tcg' as const, reason: 'test' } };
const calm: Trouble = { interrupted: false, guestCrashed: false, qemuFault: false };

/** A machine with a console engine and no QEMU: its text is pushed by hand. */
function machine(extra: { hostError?: string; qemuFault?: boolean } = {}) {
  return { engine: new ConsoleEngine({ write: () => {} }), hostError: extra.hostError, qemuFault: extra.qemuFault ?? false };
}

/** A guest shell that answers every script with `answer(script)`. */
const shell = (answer: (script: string) => { status: number; output: string }): GuestShell => ({ run: async (s) => ({ ...answer(s), durationMs: 1 }) });

test('status policy: a boot that reached no shell is interrupted, the infrastructure\'s error, or the image\'s failure', (t) => {
  const hung = { interrupted: false, qemuFault: false, noOutput: false, consoleLost: false };
  t.is(bootFailureStatus(hung), 'failed');
  t.is(bootFailureStatus({ ...hung, noOutput: true, interrupted: true }), 'interrupted');
  for (const why of [{ noOutput: true }, { qemuFault: true }, { consoleLost: true }, { hostError: 'disk full' }]) t.is(bootFailureStatus({ ...hung, ...why }), 'error');
});

test('status policy: the other cases after a failed boot', (t) => {
  t.deepEqual(notRunAfterBoot({ interrupted: true, hostError: 'disk full' }, 'interrupted'), { status: 'interrupted', message: 'interrupted' });
  t.deepEqual(notRunAfterBoot({ interrupted: false, hostError: 'disk full' }, 'error'), { status: 'error', message: 'not run: disk full' });
  t.deepEqual(notRunAfterBoot({ interrupted: false }, 'failed'), { status: 'skipped', message: 'not run: boot failed' });
});

test('status policy: a guest crash alone fails or skips a case; QEMU or the host failing makes it an error; an interrupt wins', (t) => {
  const crashed = { ...calm, guestCrashed: true };
  t.is(caseErrorStatus(crashed), 'failed');
  t.is(notRunStatus(crashed), 'skipped');
  for (const trouble of [calm, { ...crashed, qemuFault: true }, { ...crashed, hostError: 'disk full' }]) {
    t.is(caseErrorStatus(trouble), 'error');
    t.is(notRunStatus(trouble), 'error');
  }
  t.is(caseErrorStatus({ ...crashed, interrupted: true }), 'interrupted');
  t.is(notRunStatus({ ...calm, interrupted: true }), 'interrupted');
  t.is(judgedStatus({ passed: true }), 'passed');
  t.is(judgedStatus({ passed: false, notApplicable: true }), 'skipped');
  t.is(judgedStatus({ passed: false }), 'failed');
});

test('status policy: a run\'s status from its cases, its crash, a host error and its retries', (t) => {
  const c = (status: CaseReport['status']): CaseReport => ({ id: status, title: '', status, durationMs: 0, message: '', evidence: '' });
  t.is(finishedRunStatus([c('passed')], undefined, undefined), 'passed');
  t.is(finishedRunStatus([c('passed')], { what: 'panic', atMs: 1 }, undefined), 'failed');
  t.is(finishedRunStatus([c('passed')], undefined, 'disk full'), 'error');
  t.is(finishedRunStatus([c('interrupted')], undefined, 'disk full'), 'interrupted');
  t.is(retriedStatus('passed', 2), 'flaky');
  t.is(retriedStatus('passed', 1), 'passed');
  t.is(retriedStatus('failed', 2), 'failed');
  const run = (status: RunReport['status'], attempts: number, cases: CaseReport[]): RunReport => ({ ...emptyReport({ ...basics, cases: [] }, new Date(0), []), status, attempts, cases });
  t.is(recomputedStatus(run('passed', 1, [c('failed')])), 'failed');
  t.is(recomputedStatus(run('error', 1, [c('passed')])), 'error');
  t.is(recomputedStatus(run('passed', 2, [c('passed')])), 'flaky');
  t.true(isInfrastructureFault(run('error', 1, [c('error')])));
  t.false(isInfrastructureFault({ ...run('error', 1, [c('error')]), hostError: 'disk full' }));
  t.false(isInfrastructureFault({ ...run('error', 1, [c('error')]), timeline: { 'console-first-byte': 3 } }));
});

test('boot phase: a shell that answers passes the boot case, reported at once', async (t) => {
  const m = machine();
  m.engine.push('Linux version 6.1\n/ # ');
  const cases = [def('boot', 'boot'), script('rng', 'true')];
  const seen: CaseReport[] = [];
  const booted = await bootPhase({ ...m, waitForShell: async () => {}, bootFailure: () => ({ status: 'failed', message: 'never' }) }, target, cases, undefined, (c) => seen.push(c));
  t.is(booted.failure, undefined);
  const boot = booted.verdicts.get(0)!;
  t.deepEqual(seen, [boot]);
  t.is(boot.status, 'passed');
  t.regex(boot.message, new RegExp(`^a shell answered on ${target.console.device} after \\d+\\.\\d s$`));
  t.regex(boot.evidence, /Linux version 6\.1/);
  t.deepEqual(Object.keys(boot), ['id', 'title', 'status', 'message', 'durationMs', 'evidence', 'console']);
});

test('boot phase: no shell is the boot case\'s failure, and every other case is not run', async (t) => {
  const m = machine();
  const failure: BootFailure = { status: 'failed', message: 'no shell after 60 s' };
  const cases = [script('first', 'true'), def('boot', 'boot'), script('rng', 'true')];
  const booted = await bootPhase({ ...m, waitForShell: () => Promise.reject(new Error('timeout')), bootFailure: () => failure }, target, cases, undefined);
  t.is(booted.failure, failure);
  t.like(booted.verdicts.get(1), { id: 'boot', status: 'failed', message: 'no shell after 60 s' });
  const rest = notRunAfterBootFailure(m, cases, failure);
  t.deepEqual([...rest.keys()], [0, 2]);
  t.like(rest.get(2), { status: 'skipped', message: 'not run: boot failed' });
  const full = notRunAfterBootFailure(machine({ hostError: 'disk full' }), cases, { status: 'error', message: 'disk full' });
  t.like(full.get(0), { status: 'error', message: 'not run: disk full' });
  const stopped = notRunAfterBootFailure(machine({ hostError: 'disk full' }), cases, { status: 'interrupted', message: 'interrupted' });
  t.like(stopped.get(2), { status: 'interrupted', message: 'interrupted' });
});

test('boot phase: without a boot case selected nothing is reported for it', async (t) => {
  const m = machine();
  const booted = await bootPhase({ ...m, waitForShell: async () => {}, bootFailure: () => ({ status: 'failed', message: '' }) }, target, [script('rng', 'true')], undefined);
  t.is(booted.verdicts.size, 0);
});

test('judge phase: each case judged on the host shell, one not applicable here skipped, the boot case left alone', async (t) => {
  const m = machine();
  const scripts: string[] = [];
  const host = shell((s) => (scripts.push(s), s.includes('false') ? { status: 1, output: 'no\n' } : { status: 0, output: 'yes\n' }));
  const cases = [def('boot', 'boot'), script('good', 'true'), script('bad', 'false'), script('elsewhere', 'true', { appliesTo: { targets: ['arm64'] } })];
  const seen: string[] = [];
  const verdicts = await judgePhase(m, { system: host, console: host, hostView: { mac: '52:54:00:00:00:01', readWire: () => ({ records: [] }) as never }, nonce: () => 'n' }, { target, format: 'kernel+initrd', cases, onCase: (c) => seen.push(c.id) });
  t.deepEqual([...verdicts.keys()].sort(), [1, 2, 3]);
  t.is(verdicts.get(1)!.status, 'passed');
  t.is(verdicts.get(2)!.status, 'failed');
  t.like(verdicts.get(3), { status: 'skipped', notApplicable: true, message: 'not run: applies to targets arm64 only' });
  t.is(seen[0], 'elsewhere');
  t.deepEqual(m.engine.timeline().map((e) => e.name).sort(), ['case:bad', 'case:good']);
});

test('judge phase: when PID 1 cannot be reached no case runs; after a guest crash that is the image\'s fault, not an error', async (t) => {
  const never = shell(() => {
    throw new Error('must not run');
  });
  const cases = [script('a', 'true')];
  const shells = { system: never, console: never, unreachable: 'no nsenter', hostView: { mac: '', readWire: () => ({ records: [] }) as never }, nonce: () => 'n' };
  t.like((await judgePhase(machine(), shells, { target, format: 'kernel+initrd', cases })).get(0), { status: 'error', message: 'not run: no nsenter' });
  const crashed = machine();
  crashed.engine.fail('Kernel panic', 'Kernel panic - not syncing');
  t.like((await judgePhase(crashed, shells, { target, format: 'kernel+initrd', cases })).get(0), { status: 'skipped' });
});

test('judge phase: a judge that throws is an error naming why, a failed case after a guest crash', async (t) => {
  const broken = shell(() => {
    throw new Error('the console ended\nmore');
  });
  const shells = { system: broken, console: broken, hostView: { mac: '', readWire: () => ({ records: [] }) as never }, nonce: () => 'n' };
  const cases = [script('a', 'true')];
  t.like((await judgePhase(machine(), shells, { target, format: 'kernel+initrd', cases })).get(0), { status: 'error' });
  t.like((await judgePhase(machine({ hostError: 'disk full' }), shells, { target, format: 'kernel+initrd', cases })).get(0), { status: 'error', message: 'disk full' });
  const crashed = machine();
  crashed.engine.fail('Oops', 'Oops: 0000');
  t.like((await judgePhase(crashed, { ...shells, system: shell(() => ({ status: 0, output: '' })) }, { target, format: 'kernel+initrd', cases })).get(0), { status: 'failed', message: 'Oops: Oops: 0000' });
});

test('facts phase: the guest\'s memory and service start times, and QEMU\'s state; a failure of either changes nothing', async (t) => {
  const host = shell(() => ({ status: 0, output: 'uptime=12.5\nmem_total=1000\nmem_available=400\nrss=rngd 52 150\nclk_tck=100\n' }));
  const facts = await collectFacts({ hasQmp: true, machineStatus: async () => 'running' }, askSystemFacts(host));
  t.deepEqual(facts, { memory: { usedKiB: 600, rssKiB: { rngd: 52 } }, timeline: { 'guest:rngd-started': 1500, 'guest:uptime-at-facts': 12_500 }, qmpStatus: 'running' });
  const failing = shell(() => {
    throw new Error('gone');
  });
  t.deepEqual(await collectFacts({ hasQmp: true, machineStatus: () => Promise.reject(new Error('gone')) }, askSystemFacts(failing)), { timeline: {} });
  t.deepEqual(await collectFacts({ hasQmp: false, machineStatus: async () => 'running' }, undefined), { timeline: {} });
  t.deepEqual(guestFacts(undefined), { timeline: {} });
});

const ended: MachineEnd = { hasQmp: false, qmpEvents: [], timeline: [] };

test('finish phase: the report is assembled from what the phases returned, in the report\'s field order', (t) => {
  const cases = [def('boot', 'boot'), script('rng', 'true')];
  const base = emptyReport({ ...basics, cases }, new Date(0), ['qemu']);
  const boot: CaseReport = { ...base.cases[0]!, status: 'passed', message: 'shell' };
  const report = assembleReport(
    base,
    { cases: new Map([[0, boot]]), message: 'via nsenter', facts: { memory: { usedKiB: 1, rssKiB: {} }, timeline: { 'guest:rngd-started': 5 }, qmpStatus: 'running' } },
    { ...ended, hasQmp: true, exit: 'exit status 0', qmpEvents: [{ event: 'SHUTDOWN' }], dhcpAckMs: 900, timeline: [{ name: 'shell-ready', atMs: 1000.4 }], kernelInitMs: 700 },
    1234,
  );
  t.deepEqual(Object.keys(report), ['target', 'image', 'accel', 'accelReason', 'status', 'attempts', 'startedAt', 'durationMs', 'qemu', 'timeline', 'cases', 'message', 'memory', 'qmp']);
  t.is(report.status, 'failed'); // rng was not run
  t.deepEqual(report.cases.map((c) => [c.id, c.status, c.message]), [['boot', 'passed', 'shell'], ['rng', 'skipped', 'not run']]);
  t.deepEqual(report.qmp, { status: 'running', events: [{ event: 'SHUTDOWN' }] });
  t.deepEqual(report.timeline, { 'guest:rngd-started': 5, 'dhcp-ack': 900, 'shell-ready': 1000, 'guest:init-started': 700 });
  t.deepEqual(report.qemu, { argv: ['qemu'], exit: 'exit status 0' });
  t.is(report.durationMs, 1234);
  t.is(report.message, 'via nsenter');
  t.deepEqual(base.timeline, {}, 'the base report is left as it was');
});

test('finish phase: a crash fails a passing run and says when; a host error makes it an error and is its message', (t) => {
  const cases = [def('boot', 'boot')];
  const base = emptyReport({ ...basics, cases }, new Date(0), []);
  const passed = { cases: new Map([[0, { ...base.cases[0]!, status: 'passed' as const }]]), message: 'ok' };
  const crashed = assembleReport(base, passed, { ...ended, failure: { what: 'Kernel panic: x', atMs: 41_449.6 } }, 1);
  t.is(crashed.status, 'failed');
  t.deepEqual(crashed.machineFailure, { what: 'Kernel panic: x', atMs: 41_450 });
  t.is(crashed.message, 'the guest failed at 41.4 s: Kernel panic: x');
  const full = assembleReport(base, passed, { ...ended, hostError: 'cannot write /x: disk full', qmpError: 'no socket' }, 1);
  t.like(full, { status: 'error', hostError: 'cannot write /x: disk full', message: 'cannot write /x: disk full' });
  t.deepEqual(full.qmp, { error: 'no socket', events: [] });
});

test('finish phase: report.json goes into the artifacts; a failure to write it is the run\'s host error', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-phases-'));
  const base = emptyReport({ ...basics, cases: [def('boot', 'boot')] }, new Date(0), []);
  const report = assembleReport(base, { cases: new Map([[0, { ...base.cases[0]!, status: 'passed' as const }]]), message: 'ok' }, ended, 1);
  t.is(saveReport(dir, report).status, 'passed');
  t.deepEqual(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')), report);
  writeFileSync(join(dir, 'file'), '');
  const unsaved = saveReport(join(dir, 'file'), { ...report });
  t.is(unsaved.status, 'error');
  t.regex(unsaved.hostError!, /report\.json/);
  t.is(unsaved.message, unsaved.hostError);
});

test('a run that could not start: every case an error naming why', (t) => {
  const report = notStartedReport({ ...basics, cases: [def('boot', 'boot'), script('rng', 'true')] }, new Date(), 'cannot write /x');
  t.like(report, { status: 'error', message: 'cannot write /x', hostError: 'cannot write /x' });
  t.deepEqual(report.cases.map((c) => [c.status, c.message]), [['error', 'not run: cannot write /x'], ['error', 'not run: cannot write /x']]);
});

test('keep-failed: a failed run whose guest is alive is handed to the hook, and the time held is marked; otherwise it is not', async (t) => {
  const failed = [{ id: 'rng', title: 'rng', status: 'failed' as const, durationMs: 0, message: 'no', evidence: '' }];
  const session = (extra: { running?: boolean; hostError?: string } = {}) => {
    const m = machine({ hostError: extra.hostError });
    return { ...m, machine: { running: extra.running ?? true } } as unknown as BootSession;
  };
  const held: BootSession[] = [];
  const hook = async (s: BootSession) => (held.push(s), true);
  const alive = session();
  const kept = await keepFailed(hook, alive, failed, undefined);
  t.deepEqual(held, [alive]);
  t.true(kept!.heldMs >= 0 && kept!.since <= Date.now());
  t.deepEqual(alive.engine.timeline().map((e) => e.name), ['console-kept']);
  // Not held: no hook, nothing failed, interrupted, QEMU gone, the host failing, the guest crashed, or the hook passed it over.
  const aborted = new AbortController();
  aborted.abort();
  const crashed = session();
  crashed.engine.fail('Kernel panic', 'Kernel panic - not syncing');
  t.is(await keepFailed(undefined, session(), failed, undefined), undefined);
  t.is(await keepFailed(hook, session(), [], undefined), undefined);
  t.is(await keepFailed(hook, session(), failed, aborted.signal), undefined);
  t.is(await keepFailed(hook, session({ running: false }), failed, undefined), undefined);
  t.is(await keepFailed(hook, session({ hostError: 'disk full' }), failed, undefined), undefined);
  t.is(await keepFailed(hook, crashed, failed, undefined), undefined);
  t.is(held.length, 1);
  t.is(await keepFailed(async () => false, session(), failed, undefined), undefined);
  // The person's console failing still counts as held: the run's report must not depend on it.
  t.truthy(await keepFailed(() => Promise.reject(new Error('no tty')), session(), failed, undefined));
});
