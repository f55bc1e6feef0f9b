import test from 'ava';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../src/errors.ts';
import { requirePrintablePath, requireReportFiles, requireWritableFile, requireWritableFolder } from '../../src/util/path-options.ts';
import { makeFolders } from '../../src/util/make-folders.ts';

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

test('an output folder may exist or be made later; checking creates nothing', (t) => {
  const dir = scratch();
  mkdirSync(join(dir, 'old'));
  t.notThrows(() => requireWritableFolder('--artifacts', join(dir, 'old')));
  t.notThrows(() => requireWritableFolder('--artifacts', join(dir, 'a', 'b')));
  t.deepEqual(readdirSync(dir), ['old']);
});

test('an output folder that is a file, below a file or holds a control character is refused, naming the option and path', (t) => {
  const dir = scratch();
  writeFileSync(join(dir, 'file'), '');
  t.throws(() => requireWritableFolder('--artifacts', '/etc/passwd'), { instanceOf: UsageError, message: '--artifacts /etc/passwd is not a folder; give a folder name' });
  t.throws(() => requireWritableFolder('--log', '/dev/null'), { instanceOf: UsageError, message: '--log /dev/null is not a folder; give a folder name' });
  t.throws(() => requireWritableFolder('--log', join(dir, 'file', 'logs')), { instanceOf: UsageError, message: `--log ${join(dir, 'file', 'logs')} cannot be created: ${join(dir, 'file')} is not a folder` });
  t.throws(() => requireWritableFolder('--artifacts', 'a\nb'), { instanceOf: UsageError, message: /^--artifacts "a\\nb" holds a control character/ });
});

test('an output folder without write access is refused', (t) => {
  if (process.getuid?.() === 0) return t.pass('root may write anywhere; the CLI test covers a read-only mount');
  const dir = scratch();
  mkdirSync(join(dir, 'locked'), { mode: 0o500 });
  t.throws(() => requireWritableFolder('--artifacts', join(dir, 'locked')), { instanceOf: UsageError, message: /--artifacts .*locked cannot be written: no write access to .*locked \(EACCES\)/ });
  t.throws(() => requireWritableFolder('--artifacts', join(dir, 'locked', 'new')), { instanceOf: UsageError, message: /no write access to .*locked \(EACCES\)/ });
});

test('paths on /proc, /sys and other pseudo file systems are refused, naming the option and path', (t) => {
  t.throws(() => requireWritableFile('--json', '/proc/nonexistent/r.json'), { instanceOf: UsageError, message: '--json /proc/nonexistent/r.json cannot be written: /proc is on proc, a pseudo file system that holds no files' });
  t.throws(() => requireWritableFile('--out', '/sys/kernel/b.json'), { instanceOf: UsageError, message: /^--out \/sys\/kernel\/b\.json cannot be written: \/sys\/kernel is on sysfs/ });
  t.throws(() => requireWritableFolder('--artifacts', '/proc/self/art'), { instanceOf: UsageError, message: /^--artifacts \/proc\/self\/art cannot be written: \/proc\/self is on proc/ });
  t.throws(() => requireReportFiles({ html: '/proc/r.html' }), { instanceOf: UsageError, message: /^--html \/proc\/r\.html cannot be written: \/proc is on proc/ });
});

test('folders are made one level at a time, and a level that cannot be made stops at once (recursive mkdir spins on /proc)', (t) => {
  const dir = scratch();
  makeFolders(join(dir, 'a', 'b', 'c'));
  makeFolders(join(dir, 'a', 'b', 'c'));
  t.deepEqual(readdirSync(join(dir, 'a', 'b')), ['c']);
  t.throws(() => makeFolders('/proc/nonexistent/deeper'), { code: 'ENOENT', message: /mkdir '\/proc\/nonexistent'/ });
  writeFileSync(join(dir, 'file'), '');
  t.throws(() => makeFolders(join(dir, 'file', 'sub')), { code: 'EEXIST' });
});
