import test from 'ava';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../src/errors.ts';
import { requirePrintablePath, requireReportFiles, requireWritableFile } from '../../src/util/path-options.ts';

const scratch = () => mkdtempSync(join(tmpdir(), 'kittest-paths-'));

test('paths with a newline, a tab or an escape are refused, naming the option', (t) => {
  for (const bad of ['a\nb', 'a\tb', 'a\x1b[2Jb', 'a\x7fb', 'a\u0085b']) {
    t.throws(() => requirePrintablePath('--image', bad), { instanceOf: UsageError, message: /^--image ".*" holds a control character/ });
  }
  t.notThrows(() => requirePrintablePath('--image', '/images/a, b ü/ref'));
});

test('a report file may be new, in folders still to be made, or an existing file', (t) => {
  const dir = scratch();
  writeFileSync(join(dir, 'old.json'), '{}');
  t.notThrows(() => requireWritableFile('--json', join(dir, 'old.json')));
  t.notThrows(() => requireWritableFile('--json', join(dir, 'new.json')));
  t.notThrows(() => requireWritableFile('--json', join(dir, 'a', 'b', 'new.json')));
  t.deepEqual(readdirSync(dir), ['old.json'], 'checking creates nothing');
});

test('a report path that is a folder, a device or below a file is refused, naming the option and path', (t) => {
  const dir = scratch();
  writeFileSync(join(dir, 'file'), '');
  t.throws(() => requireWritableFile('--json', dir), { instanceOf: UsageError, message: `--json ${dir} is a folder; give a file name` });
  t.throws(() => requireWritableFile('--html', '/dev/null'), { instanceOf: UsageError, message: '--html /dev/null is not a regular file; give a file name' });
  t.throws(() => requireWritableFile('--junit', join(dir, 'file', 'sub', 'j.xml')), { instanceOf: UsageError, message: `--junit ${join(dir, 'file', 'sub', 'j.xml')} cannot be created: ${join(dir, 'file')} is not a folder` });
});

test('a report in a folder without write access is refused', (t) => {
  if (process.getuid?.() === 0) return t.pass('root may write anywhere; the CLI test covers a read-only mount');
  const dir = scratch();
  mkdirSync(join(dir, 'locked'), { mode: 0o500 });
  t.throws(() => requireWritableFile('--json', join(dir, 'locked', 'r.json')), { instanceOf: UsageError, message: /--json .* cannot be written: no write access to .*locked \(EACCES\)/ });
});

test('two report options naming the same file are refused', (t) => {
  t.throws(() => requireReportFiles({ json: 'out/r', html: './out/r' }), { instanceOf: UsageError, message: '--json and --html both name ./out/r; give each report its own file' });
  t.notThrows(() => requireReportFiles({ json: 'out/r.json', junit: 'out/r.xml' }));
});
