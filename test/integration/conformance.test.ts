// The reference image passes every case on every default target, run as a parallel matrix.
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../../src/report/model.ts';
import { sha256File } from '../../src/util/sha256.ts';
import { kittest } from '../helpers/cli.ts';
import { referenceImage } from '../helpers/images.ts';

const arches = ['x86_64', 'arm64', 's390x', 'ppc64le', 'riscv64'];
const out = mkdtempSync(join(tmpdir(), 'kt-conformance-'));
let report: Report;
let exitCode: number | undefined;

test.before(async () => {
  for (const target of arches) await referenceImage(target);
  const r = await kittest(['run', '--jobs', '2', '--json', join(out, 'r.json'), '--junit', join(out, 'r.xml'), '--html', join(out, 'r.html'), '--artifacts', join(out, 'art')]);
  exitCode = r.exitCode;
  report = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as Report;
});

test('the matrix exits 0 and covers every default target', (t) => {
  t.is(exitCode, 0);
  t.deepEqual(report.runs.map((r) => r.target).sort(), [...arches].sort());
});

for (const target of arches) {
  test(`every case passes on ${target}`, (t) => {
    const run = report.runs.find((r) => r.target === target)!;
    for (const c of run.cases) t.is(c.status, 'passed', `${c.id}: ${c.message}`);
    t.deepEqual(run.cases.map((c) => c.id), ['boot', 'containerd', 'runc', 'dhcp', 'rng', 'rootfs-immutable', 'services-isolated', 'services-declared']);
  });

  test(`the ${target} image files are unchanged and their sha256 is in the report`, async (t) => {
    const run = report.runs.find((r) => r.target === target)!;
    t.true(Object.keys(run.image.sha256).length >= 2);
    for (const [file, sum] of Object.entries(run.image.sha256)) t.is(await sha256File(file), sum);
  });

  test(`the ${target} report carries a boot timeline and the memory footprint`, (t) => {
    const run = report.runs.find((r) => r.target === target)!;
    for (const key of ['console-first-byte', 'guest:init-started', 'dhcp-ack', 'shell-ready', 'case:services-isolated']) t.true(run.timeline[key]! > 0, key);
    t.true((run.memory?.usedKiB ?? 0) > 0);
    t.true((run.memory?.rssKiB?.containerd ?? 0) > 0);
  });
}

test('every run kept the capture of its guest network and the QMP view of its machine', (t) => {
  for (const target of arches) {
    const run = report.runs.find((r) => r.target === target)!;
    t.true(existsSync(join(out, 'art', target, 'attempt-1', 'network.pcap')), `${target}: network.pcap`);
    t.is(run.qmp?.error, undefined, `${target}: ${run.qmp?.error}`);
    t.true(run.qmp?.events.some((e) => e.event === 'SHUTDOWN'), `${target}: kittest stopped QEMU over QMP`);
  }
});

test('the runs overlapped in time: the matrix ran in parallel', (t) => {
  const spans = report.runs.map((r) => [Date.parse(r.startedAt), Date.parse(r.startedAt) + r.durationMs] as const);
  const overlaps = spans.some(([s1, e1], i) => spans.some(([s2, e2], j) => i !== j && s1 < e2 && s2 < e1));
  t.true(overlaps);
});

test('JUnit and HTML reports were written beside the JSON', (t) => {
  const junit = readFileSync(join(out, 'r.xml'), 'utf8');
  t.is(junit.match(/<testsuite /g)?.length, arches.length);
  t.is(junit.match(/<testcase /g)?.length, arches.length * 8);
  t.regex(readFileSync(join(out, 'r.html'), 'utf8'), /id="matrix"/);
});
