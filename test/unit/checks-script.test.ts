// Script cases: YAML steps with expectations, judged like the built-in checks.
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckContext, GuestShell } from '../../src/cases/check.ts';
import { jsonAt, judgeRunStep, scriptCheck, type ScriptSettings } from '../../src/cases/checks/script.ts';
import { loadCase } from '../../src/cases/case-files.ts';
import { projectRoot } from '../../src/config/paths.ts';
import { ConfigError } from '../../src/errors.ts';
import { parsePcap } from '../../src/wire/pcap.ts';
import { bySource } from '../helpers/wire.ts';

function caseFile(steps: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'kt-script-')), 'vendor.yml');
  writeFileSync(file, `id: vendor\ntitle: t\ndescription: d\ncheck: script\nsettings:\n  steps:\n${steps}`);
  return file;
}

const loadError = (steps: string): string => {
  const error = (() => {
    try {
      loadCase(caseFile(steps));
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
  return error.message;
};

test('a script case loads with its steps', (t) => {
  const c = loadCase(caseFile('    - run: echo hi\n      output: ^hi$\n    - wire: { dhcpLease: 10.0.2.15 }\n'));
  t.is((c.settings as unknown as ScriptSettings).steps.length, 2);
  t.is((c.settings as unknown as ScriptSettings).steps[1]!.wire?.dhcpLease, '10.0.2.15');
});

test('bad steps are file:line errors: two kinds at once, none, a run-only key elsewhere, a bad pattern, an unknown key', (t) => {
  t.regex(loadError('    - run: echo\n    - run: echo\n      wire: { dhcpLease: 10.0.2.15 }\n'), /vendor\.yml:8: settings\.steps\[1\]: a step needs exactly one of run, file, wire, machine \(this one has run and wire\)/);
  t.regex(loadError('    - name: nothing\n'), /vendor\.yml:7: settings\.steps\[0\]: a step needs exactly one of/);
  t.regex(loadError('    - machine: { status: running }\n      output: x\n'), /vendor\.yml:8: settings\.steps\[0\]\.output: output applies to run steps only/);
  t.regex(loadError('    - run: echo\n    - run: echo\n      notOutput: "a(b"\n'), /vendor\.yml:9: settings\.steps\[1\]\.notOutput "a\(b" is not a valid regular expression/);
  t.regex(loadError('    - run: echo\n      expect: 0\n'), /vendor\.yml:8: unknown key "settings\.steps\.0\.expect"/);
});

test('a run step: status, output, notOutput and JSON fields, each with a reason that quotes the output', (t) => {
  t.is(judgeRunStep({ run: 'x' }, 0, 'anything'), undefined);
  t.is(judgeRunStep({ run: 'x' }, 1, 'no such file\n'), 'exit status 1, expected 0; output: "no such file"');
  t.is(judgeRunStep({ run: 'x', status: 1 }, 1, ''), undefined);
  t.is(judgeRunStep({ run: 'x', output: 'virtio_net$' }, 0, 'e1000\n'), 'output does not match /virtio_net$/: "e1000"');
  t.is(judgeRunStep({ run: 'x', output: 'virtio_net$' }, 0, '../virtio_net'), undefined);
  t.is(judgeRunStep({ run: 'x', notOutput: 'error' }, 0, 'an error here'), 'output matches /error/ ("error"), which it must not');
  t.is(judgeRunStep({ run: 'x', json: { path: 'a.b[1]', equals: 2 } }, 0, '{"a":{"b":[1,2]}}'), undefined);
  t.is(judgeRunStep({ run: 'x', json: { path: 'a.b[1]', equals: 3 } }, 0, '{"a":{"b":[1,2]}}'), 'a.b[1] is "2", expected "3"');
  t.is(judgeRunStep({ run: 'x', json: { path: 'a.c', equals: 3 } }, 0, '{"a":{}}'), 'the JSON has no a.c');
  t.is(judgeRunStep({ run: 'x', json: { path: 'v', matches: '^1\\.7' } }, 0, '{"v":"1.7.24"}'), undefined);
  t.is(judgeRunStep({ run: 'x', json: { path: 'v' } }, 0, 'not json'), 'output is not JSON: "not json"');
  t.is(jsonAt({ a: [{ b: 'x' }] }, 'a[0].b'), 'x');
});

/** A context whose host and console shells answer from tables, with a clock that moves 1 s per reading. */
function context(settings: ScriptSettings, answers: { host?: (script: string, n: number) => [number, string]; console?: (script: string) => [number, string] }, extra: Partial<CheckContext<ScriptSettings>> = {}) {
  const seen: { host: string[]; console: string[] } = { host: [], console: [] };
  const shell = (which: 'host' | 'console'): GuestShell => ({
    run: async (script) => {
      seen[which].push(script);
      const [status, output] = (which === 'host' ? answers.host?.(script, seen.host.length) : answers.console?.(script)) ?? [127, 'not found'];
      return { status, output, durationMs: 1 };
    },
  });
  let clock = 0;
  const ctx: CheckContext<ScriptSettings> = { system: shell('host'), console: shell('console'), settings, settleMs: 10_000, timeoutMs: 60_000, nonce: () => 'n', now: () => (clock += 1000), ...extra };
  return { ctx, seen };
}

test('steps run in order, in the shell each names, and the first that fails is the message', async (t) => {
  const settings: ScriptSettings = { steps: [{ run: 'id -u', in: 'console', output: '^0$' }, { run: 'cat /x', name: 'the vendor file' }, { run: 'never' }] };
  const { ctx, seen } = context(settings, { console: () => [0, '0\n'], host: (s) => (s === 'cat /x' ? [1, 'cat: /x: No such file'] : [0, '']) });
  const verdict = await scriptCheck.check!(ctx);
  t.false(verdict.passed);
  t.is(verdict.message, 'step 2 ("the vendor file"): exit status 1, expected 0; output: "cat: /x: No such file"');
  t.deepEqual(seen, { console: ['id -u'], host: ['cat /x'] });
  t.regex(verdict.evidence, /# step 1 \("id -u"\): holds\n\$ id -u\n0\n\[exit 0\]\n# step 2 \("the vendor file"\): does not hold/);
});

test('an eventually step is retried until it holds, within settleMs; without eventually it is judged once', async (t) => {
  const answers = { host: (_: string, n: number): [number, string] => (n < 3 ? [0, 'starting'] : [0, 'ready']) };
  const later = context({ steps: [{ run: 'state', output: 'ready', eventually: true }] }, answers);
  const ok = await scriptCheck.check!(later.ctx);
  t.true(ok.passed, ok.message);
  t.is(later.seen.host.length, 3);
  t.regex(ok.evidence, /holds \(attempt 3\)/);
  const once = context({ steps: [{ run: 'state', output: 'ready' }] }, answers);
  t.false((await scriptCheck.check!(once.ctx)).passed);
  t.is(once.seen.host.length, 1);
  const never = context({ steps: [{ run: 'state', output: 'ready', eventually: true }] }, { host: () => [0, 'starting'] }, { settleMs: 6000 });
  const late = await scriptCheck.check!(never.ctx);
  t.regex(late.message, /output does not match \/ready\/: "starting"/);
  t.regex(late.evidence, /does not hold after \d+ attempts/);
});

test('host steps: the wire lease (recorded s390x capture) and the QMP state', async (t) => {
  const records = bySource(parsePcap(readFileSync(join(projectRoot, 'test', 'fixtures', 'wire', 'oneshot-dhcp-s390x.pcap'))).records, '52:54:00:1d:a1:b5');
  const hostView = { mac: '52:54:00:1d:a1:b5', readWire: () => ({ records }), machineStatus: async () => 'running' };
  const good = context({ steps: [{ wire: { dhcpLease: '10.0.2.15' } }, { machine: { status: 'running' } }] }, {}, { hostView });
  const verdict = await scriptCheck.check!(good.ctx);
  t.true(verdict.passed, verdict.message);
  t.regex(verdict.evidence, /ACK of 10\.0\.2\.15 at [\d.]+ s/);
  t.deepEqual(good.seen, { host: [], console: [] }, 'host steps type nothing into the guest');
  const other = context({ steps: [{ wire: { dhcpLease: '10.0.2.15' } }] }, {}, { hostView: { ...hostView, mac: '52:54:00:00:00:01' } });
  t.is((await scriptCheck.check!(other.ctx)).message, 'step 1 ("DHCP lease 10.0.2.15 on the wire"): the host saw no DHCP lease ACKed to the guest\'s NIC (52:54:00:00:00:01)');
  const paused = context({ steps: [{ machine: { status: 'running' } }] }, {}, { hostView: { ...hostView, machineStatus: async () => 'paused' } });
  t.regex((await scriptCheck.check!(paused.ctx)).message, /QEMU reports the machine as paused, expected running/);
});

test('a file step compares the guest sha256', async (t) => {
  const sum = 'a'.repeat(64);
  const { ctx } = context({ steps: [{ file: { path: '/usr/bin/containerd', sha256: sum } }] }, { host: () => [0, `${'b'.repeat(64)}  /usr/bin/containerd\n`] });
  t.is((await scriptCheck.check!(ctx)).message, `step 1 ("sha256 of /usr/bin/containerd"): /usr/bin/containerd has sha256 ${'b'.repeat(64)}, expected ${sum}`);
});
