import test from 'ava';
import type { CaseReport } from '../../src/report/model.ts';
import { runStatus } from '../../src/report/status.ts';

const verdict = (id: string, status: CaseReport['status']): CaseReport => ({ id, title: id, status, durationMs: 0, message: '', evidence: '' });

test('a run passes only when every selected case passed', (t) => {
  t.is(runStatus([verdict('boot', 'passed'), verdict('dhcp', 'passed')]), 'passed');
  t.is(runStatus([verdict('boot', 'passed'), verdict('dhcp', 'skipped')]), 'failed');
  t.is(runStatus([verdict('boot', 'skipped'), verdict('dhcp', 'skipped')]), 'failed');
});

test('a run with no case at all does not pass', (t) => {
  t.is(runStatus([]), 'failed');
});

test('a machine failure after every case passed fails the run', (t) => {
  t.is(runStatus([verdict('boot', 'passed')], { what: 'Kernel panic - not syncing: sysrq triggered crash', atMs: 41_000 }), 'failed');
});

test('errors and interruptions keep their precedence over failures', (t) => {
  t.is(runStatus([verdict('boot', 'failed'), verdict('dhcp', 'error')]), 'error');
  t.is(runStatus([verdict('boot', 'error'), verdict('dhcp', 'interrupted')], { what: 'x', atMs: 1 }), 'interrupted');
});
