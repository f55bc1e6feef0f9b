// A bench result as the compact text tables the command prints (pure: result in, lines out).
import { bootStages } from '../console/boot-stage.ts';
import type { FailingResult, BenchResult, BootResult, Goal } from './result.ts';
import { median, medianByKey, pairedVerdict } from './stats.ts';
import { formatTable, goalMark, mebibytes, megabytes, millis, seconds, spreadMillis, spreadSeconds, times } from './text-table.ts';

const DHCP_CLIENTS = ['dhcpcd', 'udhcpc', 'dhclient'];

function limit(g: Goal, unit = ''): string {
  return `${g.kind === 'max' ? '<=' : '>='} ${g.limit}${unit}`;
}

/** A goal in milliseconds shown in seconds. */
function limitSeconds(g: Goal): string {
  return `${g.kind === 'max' ? '<=' : '>='} ${seconds(g.limit)} s`;
}

/** The header line: when, what, where. */
function headerLine(r: BenchResult): string {
  const qemu = Object.entries(r.qemu).map(([binary, v]) => `${binary.replace(/^qemu-system-/, '')} ${v}`).join(', ');
  const accel = [...new Set(Object.values(r.accel).map((a) => a.accel))].join('/') || '-';
  return `kittest ${r.kittest} bench, ${r.date.slice(0, 16).replace('T', ' ')} UTC, N=${r.runs}; host ${r.host.name}: ${r.host.cores} cores, ${r.host.cpuModel}; QEMU ${qemu || '-'}; accel ${accel}`;
}

/** Every goal in one table. */
function goalLines(r: BenchResult): string[] {
  const rows: string[][] = [['goal', 'measured', 'target', 'verdict']];
  for (const o of r.overhead) rows.push([`harness overhead ${o.target} (median a / median b)`, times(o.ratio.value), limit(o.ratio), goalMark(o.ratio.met)]);
  const pooled = r.pooledOverhead;
  if (pooled && r.overhead[0]) {
    const verdict = pairedVerdict(pooled, r.overhead[0].ratio.limit);
    rows.push([
      `harness overhead, ${r.overhead.length === 1 ? r.overhead[0].target : `${r.overhead.length} targets`} pooled (geometric mean of ${pooled.n} paired a/b)`,
      times(pooled.value),
      limit(r.overhead[0].ratio),
      `${verdict === undefined ? 'unresolved' : goalMark(verdict)}: 95% interval ${times(pooled.low)}-${times(pooled.high)}`,
    ]);
  }
  for (const o of r.overhead) rows.push([`case phase ${o.target} (median harness cases / median bare evidence)`, times(o.casePhaseRatio.value), limit(o.casePhaseRatio), goalMark(o.casePhaseRatio.met)]);
  for (const o of r.overhead) if (o.verdictGoal) rows.push([`full verdict ${o.target} (median harness run, s)`, seconds(o.verdictGoal.value), limitSeconds(o.verdictGoal), goalMark(o.verdictGoal.met)]);
  for (const f of [r.failing, r.failingLinuxkit]) if (f) rows.push([`${imageName(f.image)} verdict - ${f.goodImage ? imageName(f.goodImage) : 'good'} verdict (${f.target}, s)`, seconds(f.goal.value), limitSeconds(f.goal), goalMark(f.goal.met)]);
  if (r.panic) rows.push([`panic to verdict (worst of ${r.panic.latency?.n ?? 0}, ms)`, millis(r.panic.latencyGoal.value), limit(r.panic.latencyGoal), goalMark(r.panic.latencyGoal.met)]);
  if (r.matrix) rows.push(['matrix speed-up (median jobs 1 / median jobs 2)', times(r.matrix.speedup.value), limit(r.matrix.speedup), goalMark(r.matrix.speedup.met)]);
  if (r.matrix) rows.push([`matrix of ${r.matrix.targets.length} targets with --jobs 2 (median, s)`, seconds(r.matrix.wallGoal.value), limitSeconds(r.matrix.wallGoal), goalMark(r.matrix.wallGoal.met)]);
  return formatTable(rows, ['left', 'right', 'left', 'left']);
}

/** Part 1: a against b per target. */
function overheadLines(r: BenchResult): string[] {
  const rows: string[][] = [['target', 'harness a (s)', 'bare b (s)', 'a/b', 'paired a/b (95%)', 'shell a', 'shell b', 'CPU a', 'CPU b', 'frames a', 'frames b']];
  for (const o of r.overhead) {
    rows.push([
      o.target,
      spreadSeconds(o.harness.wall),
      spreadSeconds(o.bare.wall),
      times(o.ratio.value),
      o.paired ? `${times(o.paired.value)} (${times(o.paired.low)}-${times(o.paired.high)})` : '-',
      seconds(o.toShellMs.harness),
      seconds(o.toShellMs.bare),
      seconds(median(o.harness.cpuMs ?? []), 2),
      seconds(median(o.bare.cpuMs ?? []), 2),
      [...new Set(o.harness.frames)].join(',') || '-',
      String(o.bare.frames),
    ]);
  }
  return [
    'Harness overhead: wall time of one full run, min / median / max; shell = median time to the shell answering;',
    "paired = geometric mean of each pair's a/b with its 95% interval (the noise the runs leave);",
    "CPU = median CPU seconds of the driver's own process per run (QEMU not included)",
    ...formatTable(rows),
  ];
}

/** "no-init-1/no-init" from an image prefix. */
function imageName(prefix: string): string {
  return prefix.split('/').slice(-2).join('/');
}

/** Part 2: the case phase against the minimal evidence script. */
function casePhaseLines(r: BenchResult): string[] {
  if (r.overhead.length === 0) return [];
  const rows: string[][] = [['target', 'harness cases (s)', 'bare evidence (s)', 'ratio', 'bare steps, median (s)']];
  for (const o of r.overhead) {
    const steps = Object.entries(medianByKey(o.bare.stepsMs ?? [])).map(([label, ms]) => `${label} ${seconds(ms)}`).join(', ');
    rows.push([o.target, spreadSeconds(o.casePhase.harness), spreadSeconds(o.casePhase.bare), times(o.casePhaseRatio.value), steps || '-']);
  }
  return [
    'Case phase: shell answering to the last verdict (harness) against the minimal evidence script on the bare driver',
    '(context script, one batch of every check\'s first script and the host facts, the second rng sample after what is left of its gap), min / median / max',
    ...formatTable(rows, ['left', 'right', 'right', 'right', 'left']),
  ];
}

/** Part 4: the failing images against the good ones. */
function failingLines(r: BenchResult): string[] {
  return [r.failing, r.failingLinuxkit].flatMap((f) => (f ? failingSection(f) : []));
}

function failingSection(f: FailingResult): string[] {
  const gone = (runs: readonly { wallMs: number }[]) => seconds(median(runs.map((x) => x.wallMs)));
  const statuses = (runs: readonly { status: string }[]) => runs.map((x) => x.status).join(',') || '-';
  const rows = [
    ['image', 'last verdict (s)', 'QEMU gone, median (s)', 'statuses'],
    [`good (${f.goodImage ? imageName(f.goodImage) : 'reference'})`, spreadSeconds(f.good.verdict), gone(f.good.runs), statuses(f.good.runs)],
    [imageName(f.image), spreadSeconds(f.failing.verdict), gone(f.failing.runs), statuses(f.failing.runs)],
  ];
  const failed = [...new Set(f.failing.runs.flatMap((x) => x.notPassed))].join(', ') || '-';
  return [
    `Failing image (${f.target}): time to the last verdict since runTarget was called, min / median / max`,
    ...formatTable(rows, ['left', 'right', 'right', 'left']),
    `difference of the medians ${seconds(f.differenceMs)} s; allowed ${seconds(f.settleMs)} s (${f.failingCase}); not passed: ${failed}`,
  ];
}

/** Part 7: the matrix through the CLI. */
function matrixLines(r: BenchResult): string[] {
  const m = r.matrix;
  if (!m) return [];
  const perTarget = (side: Record<string, number[]>) => m.targets.map((t) => seconds(median(side[t] ?? []))).join(' / ');
  const rows = [
    ['jobs', 'wall (s)', `per target, median (s): ${m.targets.join(' / ')}`, 'exit codes'],
    ['1', spreadSeconds(m.jobs1.wall), perTarget(m.jobs1.perTargetMs), m.jobs1.exitCodes.join(',')],
    ['2', spreadSeconds(m.jobs2.wall), perTarget(m.jobs2.perTargetMs), m.jobs2.exitCodes.join(',')],
  ];
  const slow = m.targets.map((t) => `${t} ${times(m.slowdown[t])}`).join(', ');
  const above =
    m.speedup.value !== undefined && m.idealSpeedup !== undefined && m.speedup.value > m.idealSpeedup
      ? ['(the measured speed-up is above the contention-free bound: the jobs-1 runs were slower than their own medians add up to; that is run-to-run noise)']
      : [];
  return [
    `Matrix: kittest run over ${m.targets.length} targets, all cases`,
    ...formatTable(rows, ['left', 'right', 'right', 'left']),
    `speed-up ${times(m.speedup.value)}; best possible for these run lengths on 2 workers ${times(m.idealSpeedup)} (runBounded's order: ${times(m.orderSpeedup)}); run time with 2 jobs / 1 job: ${slow}`,
    ...above,
  ];
}

/** Part 5: the panic. */
function panicLines(r: BenchResult): string[] {
  const p = r.panic;
  if (!p) return [];
  const line = p.samples.find((s) => s.line)?.line ?? 'no fatal line found';
  return [
    `Panic to verdict (${p.target}, ${imageName(p.image)}): ${spreadMillis(p.latency)} ms (min / median / max); run over and QEMU gone ${spreadMillis(p.toEnd)} ms after the line`,
    `  fatal line: ${line.slice(0, 120)}`,
  ];
}

/** Case ids in the order their end marks come, over every target. */
function caseColumns(boot: readonly BootResult[]): string[] {
  const at = new Map<string, number>();
  for (const b of boot) {
    for (const [key, ms] of Object.entries(b.timelineMs)) if (key.startsWith('case:') && !at.has(key)) at.set(key, ms);
  }
  return [...at].sort((a, b) => a[1] - b[1]).map(([key]) => key);
}

/** Part 6: the boot by stage, the timeline and the footprint. */
function bootLines(r: BenchResult): string[] {
  if (r.boot.length === 0) return [];
  const stageRows: string[][] = [['target', ...bootStages.map((s) => s.stage), 'to shell']];
  for (const b of r.boot) stageRows.push([b.target, ...bootStages.map((s) => seconds(b.stagesMs?.[s.stage])), seconds(b.timelineMs['shell-found'] ?? b.timelineMs['shell-ready'])]);
  const cases = caseColumns(r.boot);
  const timeline: string[][] = [['target', 'output', 'init*', 'containerd*', 'shell', ...cases.map((c) => c.slice(5)), 'facts*']];
  for (const b of r.boot) {
    const t = b.timelineMs;
    timeline.push([b.target, seconds(t['console-first-byte']), seconds(t['guest:init-started']), seconds(t['guest:containerd-started']), seconds(t['shell-ready']), ...cases.map((c) => seconds(t[c])), seconds(t['guest:uptime-at-facts'] ?? t['guest:uptime-at-end'])]);
  }
  const footprint: string[][] = [['target', 'used MiB', 'containerd', 'shims', 'rngd', 'dhcp client', 'image MB', 'format']];
  for (const b of r.boot) {
    const rss = b.memory.rssKiB;
    const shims = Object.entries(rss).filter(([name]) => name.startsWith('containerd-shim')).reduce((s, [, kib]) => s + kib, 0);
    const dhcp = DHCP_CLIENTS.filter((n) => rss[n] !== undefined).reduce((s, n) => s + (rss[n] ?? 0), 0);
    const anyDhcp = DHCP_CLIENTS.some((n) => rss[n] !== undefined);
    footprint.push([b.target, mebibytes(b.memory.usedKiB), mebibytes(rss.containerd), shims ? mebibytes(shims) : '-', mebibytes(rss.rngd), anyDhcp ? mebibytes(dhcp) : 'exited', megabytes(b.imageBytes), b.imageFormat]);
  }
  return [
    'Boot to shell by stage, median seconds on the host clock: firmware = QEMU start to kernel start, kernel = to init,',
    'init = to containerd started, services = to the last service started, shell = to a probe answered',
    ...formatTable(stageRows),
    '',
    'Boot timeline, median, seconds since QEMU started (* = guest clock, since the kernel started); case columns = that case judged',
    ...formatTable(timeline),
    '',
    'Footprint after the first evidence pass: used = MemTotal - MemAvailable; RSS in MiB; image = kernel + initrd',
    ...formatTable(footprint),
  ];
}

/** Everything, ready to print. */
export function renderResult(r: BenchResult): string[] {
  const notes: string[] = [];
  if (r.host.foreignQemuAtStart.length) notes.push(`warning: other QEMU processes were running at the start (pids ${r.host.foreignQemuAtStart.join(', ')})`);
  if (r.disturbed.length) notes.push(`warning: ${r.disturbed.length} sample(s) disturbed by other work on the host: ${r.disturbed.join('; ')}`);
  for (const o of r.overhead) {
    if (!o.sameVia) notes.push(`warning: ${o.target}: the harness and the bare driver did not reach PID 1's namespaces the same way`);
    if (o.bare.errors.length) notes.push(`warning: ${o.target}: bare driver errors: ${o.bare.errors.join('; ')}`);
    const odd = o.harness.statuses.filter((s) => s !== 'passed').length;
    if (odd) notes.push(`warning: ${o.target}: ${odd} harness run(s) did not pass and are left out`);
  }
  if (r.failing && r.failing.good.runs.length + r.failing.failing.runs.length > 0 && r.failing.differenceMs === undefined) {
    notes.push(`warning: ${r.failing.target}: no good run passed or no failing run failed its ${r.failing.failingCase} case by verdict: ${r.failing.failing.runs.map((x) => x.notPassed.join(' ')).join('; ')}`);
  }
  const sections = [[headerLine(r)], goalLines(r), overheadLines(r), casePhaseLines(r), failingLines(r), panicLines(r), bootLines(r), matrixLines(r), notes];
  return sections.filter((s) => s.length > 0).flatMap((s, i) => (i === 0 ? s : ['', ...s]));
}
