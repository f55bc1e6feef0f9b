import test from 'ava';
import { mkdirSync, mkdtempSync, writeFileSync, copyFileSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pty from 'node-pty';
import { projectRoot } from '../../src/config/paths.ts';
import { kittest, kittestBin } from '../helpers/cli.ts';

/** A file named like a LinuxKit disk or CD image, holding 64 KiB of zeros (no boot record, no ISO descriptor). */
function fakeMedium(name: string, contents: string | Buffer = Buffer.alloc(65536)): string {
  const path = join(mkdtempSync(join(tmpdir(), 'kt-medium-')), name);
  writeFileSync(path, contents);
  return path;
}

const oneLine = (text: string) => text.trim().split('\n').length === 1 && !/\bat .*\(.*:\d+:\d+\)/.test(text);

test('--help lists the commands and exits 0', async (t) => {
  const r = await kittest(['--help']);
  t.is(r.exitCode, 0);
  for (const command of ['run', 'build', 'list', 'doctor']) t.regex(String(r.stdout), new RegExp(`\\n  ${command}\\s`));
});

test('--version prints the package version', async (t) => {
  const r = await kittest(['--version']);
  t.is(r.exitCode, 0);
  t.regex(String(r.stdout), /^\d+\.\d+\.\d+$/);
});

test('each command has --help', async (t) => {
  const r = await kittest(['run', '--help']);
  t.is(r.exitCode, 0);
  t.regex(String(r.stdout), /--arch/);
  t.regex(String(r.stdout), /--junit/);
});

const badInput: [string, string[], RegExp, Record<string, string>?][] = [
  ['an unknown command', ['frobnicate'], /unknown command "frobnicate"/],
  ['an unknown flag', ['run', '--frob'], /run: Unknown option '--frob'/],
  ['an unknown arch', ['run', '--arch', 'vax'], /unknown arch "vax" \(known: arm64, ppc64le, riscv64, s390x, x86_64\)/],
  ['an unknown case', ['run', '--arch', 'x86_64', '--case', 'warp-drive'], /unknown case "warp-drive"/],
  ['a missing image', ['run', '--image', '/nonexistent/img'], /no LinuxKit image at \/nonexistent\/img: none of \/nonexistent\/img-kernel, /],
  ['an ISO on s390x', ['run', '--arch', 's390x', '--image', fakeMedium('lk.iso')], /iso-bios images cannot boot on s390x \(.*lk\.iso\); s390x boots kernel\+initrd, kernel\+squashfs, kernel\+erofs/],
  ['a BIOS disk on arm64', ['shell', '--arch', 'arm64', '--image', fakeMedium('lk-bios.img')], /raw-bios images cannot boot on arm64/],
  ['an ISO that is not one', ['run', '--arch', 'x86_64', '--image', fakeMedium('lk.iso')], /iso-bios image .*lk\.iso has no ISO 9660 volume descriptor/],
  ['an unknown --format', ['run', '--format', 'vhd'], /--format must be one of kernel\+initrd, .*qcow2-efi, got "vhd"/],
  ['an EFI image with no arch given, bootable on two', ['run', '--image', fakeMedium('lk-efi.img')], /cannot tell the architecture of .*lk-efi\.img \(raw-efi boots on arm64, x86_64\): pass --arch/],
  ['a bad --jobs', ['run', '--jobs', 'zero'], /--jobs must be an integer >= 1, got "zero"/],
  ['a bad --shard', ['run', '--shard', '4/3'], /--shard must be I\/N/],
  ['an unknown list kind', ['list', 'gizmos'], /list: unknown kind "gizmos"/],
  ['an image path with a newline', ['run', '--image', '/tmp/a\nkittest: all passed'], /--image "\/tmp\/a\\nkittest: all passed" holds a control character/],
  ['a report path with an escape character', ['run', '--arch', 'x86_64', '--image', '/nonexistent/img', '--json', '/tmp/\x1b[2Jr.json'], /--json "\/tmp\/\\u001b\[2Jr\.json" holds a control character/],
  ['a console log folder with a tab', ['shell', '--image', '/nonexistent/img', '--log', '/tmp/a\tb'], /--log "\/tmp\/a\\tb" holds a control character/],
  ['a missing --linuxkit file', ['run', '--arch', 'x86_64', '--image', '/nonexistent/img', '--linuxkit', '/nonexistent/linuxkit.yml'], /\/nonexistent\/linuxkit\.yml: cannot read: ENOENT/],
  ['a --linuxkit file with a nameless service', ['run', '--arch', 'x86_64', '--image', '/nonexistent/img', '--linuxkit', fakeMedium('linuxkit.yml', 'services:\n  - image: linuxkit/rngd:v1\n')], /linuxkit\.yml:2: missing required key "services\.0\.name"/],
  ['a definition path with a newline', ['build', '--image', '/tmp/x\n.yml'], /--image "\/tmp\/x\\n\.yml" holds a control character/],
];
for (const [what, args, message] of badInput) {
  test(`${what} gives a one-line error and exit code 2`, async (t) => {
    const r = await kittest(args);
    t.is(r.exitCode, 2, String(r.stderr));
    t.regex(String(r.stderr), message);
    t.true(oneLine(String(r.stderr)), String(r.stderr));
  });
}

function imageFixture(kernel: Buffer, initrd: Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'kt-cli-'));
  writeFileSync(join(dir, 'img-kernel'), kernel);
  writeFileSync(join(dir, 'img-initrd.img'), initrd);
  writeFileSync(join(dir, 'img-cmdline'), 'panic=-1');
  return join(dir, 'img');
}

function arm64Kernel(): Buffer {
  const b = Buffer.alloc(0x2000);
  b.write('ARM\x64', 0x38, 'latin1');
  return b;
}

test('an empty initrd is refused before booting', async (t) => {
  const r = await kittest(['run', '--image', imageFixture(arm64Kernel(), Buffer.alloc(0))]);
  t.is(r.exitCode, 2);
  t.regex(String(r.stderr), /img-initrd\.img is empty/);
});

test('a kernel built for another arch is refused, naming both', async (t) => {
  const r = await kittest(['run', '--arch', 'x86_64', '--image', imageFixture(arm64Kernel(), Buffer.alloc(100, 1))]);
  t.is(r.exitCode, 2);
  t.regex(String(r.stderr), /is a kernel for arm64, not for target x86_64/);
});

test('malformed YAML in a target names the file and line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-targets-'));
  for (const f of readdirSync(join(projectRoot, 'targets')).filter((f) => f.endsWith('.yml'))) copyFileSync(join(projectRoot, 'targets', f), join(dir, f));
  writeFileSync(join(dir, 'broken.yml'), 'name: broken\ndescription: x\n  qemu: [unclosed\n');
  const r = await kittest(['list', 'targets'], { KITTEST_TARGETS: dir });
  t.is(r.exitCode, 2);
  t.regex(String(r.stderr), /broken\.yml:\d+: malformed YAML/);
  t.true(oneLine(String(r.stderr)));
});

test('an unknown key in a target names the file, line and key', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-targets-'));
  const text = (await import('node:fs')).readFileSync(join(projectRoot, 'targets', 'x86_64.yml'), 'utf8').replace('  smp: 1\n', '  smp: 1\n  turbo: true\n');
  writeFileSync(join(dir, 'x86_64.yml'), text);
  const r = await kittest(['list', 'targets'], { KITTEST_TARGETS: dir });
  t.is(r.exitCode, 2);
  t.regex(String(r.stderr), /x86_64\.yml:\d+: unknown key "qemu\.turbo"/);
});

test('a target offering an EFI format without EFI firmware is refused, naming the file and line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-targets-'));
  const text = (await import('node:fs')).readFileSync(join(projectRoot, 'targets', 'arm64.yml'), 'utf8').replace(/^efi:\n(  .*\n)+/m, '');
  writeFileSync(join(dir, 'arm64.yml'), text);
  const r = await kittest(['list', 'targets'], { KITTEST_TARGETS: dir });
  t.is(r.exitCode, 2);
  t.regex(String(r.stderr), /arm64\.yml:\d+: formats lists iso-efi but there is no efi firmware/);
  t.true(oneLine(String(r.stderr)));
});

test('list shows every target, case and image with a description', async (t) => {
  const targets = await kittest(['list', 'targets']);
  t.is(targets.exitCode, 0);
  t.regex(String(targets.stdout), /^arm64\s+64-bit Arm/m);
  const cases = await kittest(['list', 'cases']);
  for (const id of ['boot', 'containerd', 'runc', 'dhcp', 'rng', 'rootfs-immutable', 'services-isolated']) t.regex(String(cases.stdout), new RegExp(`^${id}\\s+\\S`, 'm'));
});

test('a truncated initrd is refused before booting', async (t) => {
  const { gzipSync } = await import('node:zlib');
  const whole = gzipSync((await import('node:crypto')).randomBytes(200_000));
  const r = await kittest(['run', '--image', imageFixture(arm64Kernel(), whole.subarray(0, whole.length - 500))]);
  t.is(r.exitCode, 2);
  t.regex(String(r.stderr), /initrd .* is truncated or corrupt \(gzip/);
});

test('a truncated lz4 initrd (the reference images\' compression) is refused before booting', async (t) => {
  const { execFileSync } = await import('node:child_process');
  const whole = execFileSync('lz4', ['-q', '-l', '-c'], { input: (await import('node:crypto')).randomBytes(300_000) });
  const r = await kittest(['run', '--image', imageFixture(arm64Kernel(), whole.subarray(0, whole.length - 500))]);
  t.is(r.exitCode, 2);
  t.regex(String(r.stderr), /initrd .* is truncated or corrupt \(lz4/);
});

test('a missing QEMU binary names the Debian package to install', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-targets-'));
  const text = (await import('node:fs')).readFileSync(join(projectRoot, 'targets', 'arm64.yml'), 'utf8').replace('binary: qemu-system-aarch64', 'binary: qemu-system-nonexistent');
  writeFileSync(join(dir, 'arm64.yml'), text);
  const r = await kittest(['run', '--image', imageFixture(arm64Kernel(), Buffer.alloc(100, 1))], { KITTEST_TARGETS: dir });
  t.is(r.exitCode, 2);
  t.regex(String(r.stderr), /qemu-system-nonexistent not found \(target arm64\): install the Debian package qemu-system-arm/);
  t.true(oneLine(String(r.stderr)));
});

/**
 * Run kittest with a tmpfs (mount options `options`) on `dir`, in a mount namespace of its own (and a
 * user namespace when not root): no root needed, no mount left behind. If the namespace cannot be
 * made, the test fails with unshare's message.
 */
async function kittestOnTmpfs(dir: string, options: string, args: string[]) {
  const { execa } = await import('execa');
  const unshare = [...(process.getuid?.() === 0 ? [] : ['--map-root-user']), '--mount', '--propagation', 'private'];
  const script = 'mount -t tmpfs -o "$1" tmpfs "$2" && shift 2 && exec "$@"';
  return execa('unshare', [...unshare, 'sh', '-c', script, 'sh', options, dir, process.execPath, kittestBin, ...args], { reject: false, env: { NO_COLOR: '1' } });
}

test('no room for the logs stops the run before it starts, with exit code 2', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-full-'));
  const image = imageFixture(arm64Kernel(), Buffer.alloc(100, 1));
  const r = await kittestOnTmpfs(dir, 'size=1m', ['run', '--image', image, '--artifacts', join(dir, 'art')]);
  t.is(r.exitCode, 2, String(r.stderr));
  t.regex(String(r.stderr), /no room for the artifacts in .*: \d+\.\d MiB free, 17 MiB needed/);
  t.true(oneLine(String(r.stderr)));
});

test('malformed YAML in a case names the file and line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-cases-'));
  for (const f of readdirSync(join(projectRoot, 'cases')).filter((f) => f.endsWith('.yml'))) copyFileSync(join(projectRoot, 'cases', f), join(dir, f));
  writeFileSync(join(dir, 'rng.yml'), 'id: rng\ntitle: x\ndescription: y\ncheck: rng\nsettings:\n  processNames: [rngd\n');
  const r = await kittest(['list', 'cases'], { KITTEST_CASES: dir });
  t.is(r.exitCode, 2);
  t.regex(String(r.stderr), /rng\.yml:\d+: malformed YAML/);
  t.true(oneLine(String(r.stderr)));
});

test('an unknown check setting in a case is refused, naming the key', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-cases-'));
  for (const f of readdirSync(join(projectRoot, 'cases')).filter((f) => f.endsWith('.yml'))) copyFileSync(join(projectRoot, 'cases', f), join(dir, f));
  writeFileSync(join(dir, 'rng.yml'), 'id: rng\ntitle: x\ndescription: y\ncheck: rng\nsettings:\n  procesNames: [rngd]\n');
  const r = await kittest(['list', 'cases'], { KITTEST_CASES: dir });
  t.is(r.exitCode, 2);
  t.regex(String(r.stderr), /rng\.yml:6: unknown key "settings\.procesNames"/);
});

test('an image definition writing outside the image root is refused before anything is built, naming the file and line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-def-'));
  writeFileSync(join(dir, 'escape.yml'), 'extends: ' + join(projectRoot, 'images', 'reference.yml') + '\nname: escape\nfiles:\n  - { path: /../../tmp/kittest-escape, contents: x }\n');
  const r = await kittest(['build', '--arch', 'x86_64', '--image', join(dir, 'escape.yml')], { KITTEST_CACHE: join(dir, 'cache') });
  t.is(r.exitCode, 2, String(r.stderr));
  t.regex(String(r.stderr), /escape\.yml:4: files: path "\/\.\.\/\.\.\/tmp\/kittest-escape" leaves the image root/);
  t.true(oneLine(String(r.stderr)));
  t.deepEqual(readdirSync(dir), ['escape.yml']);
});

/** A copy of targets/ with `edit` applied to one target's YAML text. */
function targetsWith(name: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kt-targets-'));
  for (const f of readdirSync(join(projectRoot, 'targets')).filter((f) => f.endsWith('.yml'))) copyFileSync(join(projectRoot, 'targets', f), join(dir, f));
  writeFileSync(join(dir, `${name}.yml`), edit(readFileSync(join(projectRoot, 'targets', `${name}.yml`), 'utf8')));
  return dir;
}

const brokenTargets: [string, (text: string) => string, RegExp][] = [
  ['an unknown key', (text) => text.replace('  smp: 1\n', '  smp: 1\n  turbo: true\n'), /x86_64\.yml:13: unknown key "qemu\.turbo"/],
  ['malformed YAML', (text) => `${text}  qemu: [unclosed\n`, /x86_64\.yml:\d+: malformed YAML/],
];
for (const [what, edit, message] of brokenTargets) {
  test(`${what} in a target stops kittest build with the same file:line error as kittest run`, async (t) => {
    const dir = targetsWith('x86_64', edit);
    // Neither the image nor the definition exists: a lax target loader lets each command stop there instead.
    const run = await kittest(['run', '--arch', 'x86_64', '--image', join(dir, 'none')], { KITTEST_TARGETS: dir });
    const build = await kittest(['build', '--arch', 'x86_64', '--image', join(dir, 'none.yml')], { KITTEST_TARGETS: dir, KITTEST_CACHE: join(dir, 'cache') });
    for (const r of [run, build]) {
      t.is(r.exitCode, 2, String(r.stderr));
      t.regex(String(r.stderr), message);
      t.true(oneLine(String(r.stderr)));
    }
    t.is(String(build.stderr), String(run.stderr));
  });
}

const badRegexes: [string, string, (text: string) => string, RegExp][] = [
  ['a console failure pattern', 'x86_64', (text) => text.replace('  device: ttyS0\n', "  device: ttyS0\n  failurePatterns: ['ok', 'Oops(']\n"), /x86_64\.yml:21: console\.failurePatterns\[1\] "Oops\(" is not a valid regular expression: Unterminated group/],
  ['a typeAfter pattern', 'arm64', (text) => text.replace("pattern: 'Run \\S+ as init process|Freeing unused kernel'", "pattern: '[Run'"), /arm64\.yml:\d+: console\.typeAfter\.pattern "\[Run" is not a valid regular expression/],
  ['a login prompt', 's390x', (text) => text.replace('  device: ttysclp0\n', "  device: ttysclp0\n  login:\n    prompt: 'login:)'\n    user: root\n"), /s390x\.yml:\d+: console\.login\.prompt "login:\)" is not a valid regular expression/],
];
for (const [what, name, edit, message] of badRegexes) {
  test(`an invalid regular expression in ${what} is refused at target load, naming the file and line`, async (t) => {
    const dir = targetsWith(name, edit);
    for (const args of [['list', 'targets'], ['run', '--image', '/nonexistent/img']]) {
      const r = await kittest(args, { KITTEST_TARGETS: dir });
      t.is(r.exitCode, 2, `${args.join(' ')}: ${String(r.stderr)}`);
      t.regex(String(r.stderr), message);
      t.true(oneLine(String(r.stderr)));
    }
  });
}

test('a console failure pattern matching the empty line is refused, since it would end every run', async (t) => {
  const dir = targetsWith('x86_64', (text) => text.replace('  device: ttyS0\n', "  device: ttyS0\n  failurePatterns: ['(panic)?']\n"));
  const r = await kittest(['list', 'targets'], { KITTEST_TARGETS: dir });
  t.is(r.exitCode, 2);
  t.regex(String(r.stderr), /x86_64\.yml:21: console\.failurePatterns\[0\] "\(panic\)\?" matches an empty line/);
});

test('an invalid hwrng regular expression in a case is refused at load, naming the file and line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-cases-'));
  for (const f of readdirSync(join(projectRoot, 'cases')).filter((f) => f.endsWith('.yml'))) copyFileSync(join(projectRoot, 'cases', f), join(dir, f));
  writeFileSync(join(dir, 'rng.yml'), readFileSync(join(projectRoot, 'cases', 'rng.yml'), 'utf8').replace('hwrng: virtio_rng', "hwrng: 'virtio_rng[0-'"));
  const r = await kittest(['list', 'cases'], { KITTEST_CASES: dir });
  t.is(r.exitCode, 2);
  // The line is read from the case file, not written in (its description may grow).
  const line = readFileSync(join(projectRoot, 'cases', 'rng.yml'), 'utf8').split('\n').findIndex((l) => l.startsWith('  hwrng:')) + 1;
  t.regex(String(r.stderr), new RegExp(`rng\\.yml:${line}: settings\\.hwrng "virtio_rng\\[0-" is not a valid regular expression`));
  t.true(oneLine(String(r.stderr)));
});

test('report options that cannot be written are refused before anything runs, naming the option and path', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-reports-'));
  writeFileSync(join(dir, 'plain-file'), '');
  // The image does not exist: before these checks were made up front, each run stopped there instead (no QEMU either way).
  const image = '/nonexistent/img';
  const cases: [string[], RegExp][] = [
    [['--json', dir], new RegExp(`--json ${dir} is a folder; give a file name`)],
    [['--junit', join(dir, 'plain-file', 'junit.xml')], /--junit .*plain-file\/junit\.xml cannot be created: .*plain-file is not a folder/],
    [['--json', join(dir, 'new', 'deeper', 'r.json'), '--html', dir], /--html .* is a folder/],
    [['--json', join(dir, 'r.json'), '--junit', join(dir, 'r.json')], /--json and --junit both name .*r\.json; give each report its own file/],
  ];
  for (const [flags, message] of cases) {
    const r = await kittest(['run', '--image', image, '--artifacts', join(dir, 'artifacts'), ...flags]);
    t.is(r.exitCode, 2, `${flags.join(' ')}: ${String(r.stderr)}`);
    t.regex(String(r.stderr), message);
    t.true(oneLine(String(r.stderr)));
  }
  t.deepEqual(readdirSync(dir), ['plain-file'], 'nothing is left behind: no report, no artifacts folder, no parent folder');
  const merged = await kittest(['report', 'merge', join(dir, 'a.json'), '--html', dir]);
  t.is(merged.exitCode, 2);
  t.regex(String(merged.stderr), /--html .* is a folder/);
});

test('a path on /proc or /sys is refused before anything boots, naming the option and path', async (t) => {
  const cases: [string[], RegExp][] = [
    [['run', '--arch', 'x86_64', '--json', '/proc/nonexistent/r.json'], /^kittest: --json \/proc\/nonexistent\/r\.json cannot be written: \/proc is on proc, a pseudo file system that holds no files$/],
    [['run', '--arch', 'x86_64', '--artifacts', '/sys/kernel/art'], /^kittest: --artifacts \/sys\/kernel\/art cannot be written: \/sys\/kernel is on sysfs/],
    [['shell', '--arch', 'x86_64', '--log', '/proc/logs'], /^kittest: --log \/proc\/logs cannot be written: \/proc is on proc/],
    [['report', 'merge', '/nonexistent/a.json', '--junit', '/proc/j.xml'], /^kittest: --junit \/proc\/j\.xml cannot be written/],
    // --runs 0 would be refused too, but only after --out: the bench checks where its results go first.
    [['bench', '--runs', '0', '--out', '/proc/nonexistent/b.json'], /^kittest: --out \/proc\/nonexistent\/b\.json cannot be written: \/proc is on proc/],
  ];
  for (const [args, message] of cases) {
    const r = await kittest(args);
    t.is(r.exitCode, 2, `${args.join(' ')}: ${String(r.stderr)}`);
    t.regex(String(r.stderr).trim(), message);
    t.true(oneLine(String(r.stderr)));
  }
});

test('a report on a read-only file system is refused before anything runs', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-ro-'));
  const r = await kittestOnTmpfs(dir, 'ro,size=1m', ['run', '--image', '/nonexistent/img', '--junit', join(dir, 'out', 'junit.xml')]);
  t.is(r.exitCode, 2, String(r.stderr));
  t.regex(String(r.stderr), new RegExp(`--junit ${dir}/out/junit\\.xml cannot be written: no write access to ${dir} \\(EROFS\\)`));
  t.true(oneLine(String(r.stderr)));
});

test('an artifacts or console log folder that cannot be made is refused before anything is built or booted, naming the option and path', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-outdirs-'));
  writeFileSync(join(dir, 'plain-file'), '');
  mkdirSync(join(dir, 'logs', 'x86_64-console.log'), { recursive: true });
  // Each would otherwise stop later, on the missing image, the bad ISO or the bad --format (or, given a good image, after booting).
  const cases: [string[], RegExp][] = [
    [['run', '--image', '/nonexistent/img', '--artifacts', '/etc/passwd'], /^kittest: --artifacts \/etc\/passwd is not a folder; give a folder name$/],
    [['run', '--image', '/nonexistent/img', '--artifacts', join(dir, 'plain-file', 'art')], /--artifacts .*plain-file\/art cannot be created: .*plain-file is not a folder/],
    [['shell', '--image', '/nonexistent/img', '--log', join(dir, 'plain-file')], /--log .*plain-file is not a folder; give a folder name/],
    [['shell', '--image', '/nonexistent/img', '--log', '/etc/passwd'], /--log \/etc\/passwd is not a folder/],
    [['shell', '--arch', 'x86_64', '--image', fakeMedium('lk.iso'), '--log', join(dir, 'logs')], /--log .*logs: .*logs\/x86_64-console\.log is a folder; the console log cannot be written there/],
    [['shell', '--arch', 'x86_64', '--format', 'vhd', '--log', join(dir, 'logs')], /--log .*logs: .*logs\/x86_64-console\.log is a folder/],
  ];
  for (const [args, message] of cases) {
    const r = await kittest(args);
    t.is(r.exitCode, 2, `${args.join(' ')}: ${String(r.stderr)}`);
    t.regex(String(r.stderr).trim(), message);
    t.true(oneLine(String(r.stderr)));
  }
  t.deepEqual(readdirSync(dir).sort(), ['logs', 'plain-file'], 'nothing is left behind');
  t.deepEqual(readdirSync(join(dir, 'logs')), ['x86_64-console.log']);
});

test('an artifacts or console log folder on a read-only file system is refused before anything runs', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-ro-'));
  for (const args of [['run', '--image', '/nonexistent/img', '--artifacts', join(dir, 'art')], ['shell', '--image', '/nonexistent/img', '--log', dir]]) {
    const r = await kittestOnTmpfs(dir, 'ro,size=1m', args);
    t.is(r.exitCode, 2, String(r.stderr));
    t.regex(String(r.stderr), new RegExp(`--(artifacts|log) ${dir}(/art)? cannot be written: no write access to ${dir} \\(EROFS\\)`));
    t.true(oneLine(String(r.stderr)));
  }
});

test('a shard that selects no run is a usage error, naming the shard and the runs', async (t) => {
  const r = await kittest(['run', '--arch', 'x86_64', '--shard', '2/2']);
  t.is(r.exitCode, 2, String(r.stderr));
  t.regex(String(r.stderr), /--shard 2\/2 selects no run: there is 1 run \(x86_64\) to share among 2 shards/);
  t.true(oneLine(String(r.stderr)));
});

test('a given image is sharded as one run, so a second shard runs nothing and says so', async (t) => {
  // The initrd is truncated: had the image been planned into both shards, the run would stop on that instead (no QEMU either way).
  const { gzipSync } = await import('node:zlib');
  const whole = gzipSync(Buffer.alloc(100_000, 7));
  const r = await kittest(['run', '--image', imageFixture(arm64Kernel(), whole.subarray(0, whole.length - 20)), '--shard', '2/2']);
  t.is(r.exitCode, 2, String(r.stderr));
  t.regex(String(r.stderr), /--shard 2\/2 selects no run: there is 1 run \(arm64\) to share among 2 shards/);
});

test('a target adding a host forward through extraArgs is refused at load, naming the file and line', async (t) => {
  const dir = targetsWith('x86_64', (text) => text.replace('  extraArgs: []\n', '  extraArgs:\n    - -netdev\n    - user,id=n1,hostfwd=tcp::2222-:22\n'));
  const r = await kittest(['list', 'targets'], { KITTEST_TARGETS: dir });
  t.is(r.exitCode, 2, String(r.stderr));
  t.regex(String(r.stderr), /x86_64\.yml:19: qemu\.extraArgs\[0\] "-netdev" adds a network .*; a target may do that only with qemu\.unsafe: \{ reason: "\.\.\." \}/);
  t.true(oneLine(String(r.stderr)));
});

test('a target whose NIC model carries its own options is refused at load, naming the file and line', async (t) => {
  const dir = targetsWith('arm64', (text) => text.replace('  nic: virtio-net-pci\n', '  nic: virtio-net-pci,romfile=/etc/shadow\n'));
  const r = await kittest(['run', '--image', '/nonexistent/img'], { KITTEST_TARGETS: dir });
  t.is(r.exitCode, 2, String(r.stderr));
  const nicLine = readFileSync(join(projectRoot, 'targets', 'arm64.yml'), 'utf8').split('\n').indexOf('  nic: virtio-net-pci') + 1;
  t.true(nicLine > 0);
  t.regex(String(r.stderr), new RegExp(`arm64\\.yml:${nicLine}: qemu\\.nic "virtio-net-pci,romfile=/etc/shadow" must be a model name alone`));
});

const binaries: [string, string, RegExp][] = [
  ['another program', '/bin/sh', /x86_64\.yml:7: qemu\.binary "\/bin\/sh" is not a QEMU system emulator: give its program name/],
  ['a relative path', '../x', /x86_64\.yml:7: qemu\.binary "\.\.\/x" is not a QEMU system emulator/],
  ['options after the name', 'qemu-system-x86_64 -foo', /x86_64\.yml:7: qemu\.binary "qemu-system-x86_64 -foo" is not a QEMU system emulator/],
  ['a QEMU build of its own without qemu.unsafe', '/opt/qemu/bin/qemu-system-x86_64', /x86_64\.yml:7: qemu\.binary "\/opt\/qemu\/bin\/qemu-system-x86_64" is a QEMU build of its own, .*; a target may do that only with qemu\.unsafe/],
];
for (const [what, binary, message] of binaries) {
  test(`a target whose qemu.binary is ${what} is refused at load, naming the file, line and value`, async (t) => {
    const dir = targetsWith('x86_64', (text) => text.replace('binary: qemu-system-x86_64', `binary: ${binary}`));
    // The image does not exist: without the check at load, the run stops there instead.
    const r = await kittest(['run', '--arch', 'x86_64', '--image', join(dir, 'none')], { KITTEST_TARGETS: dir });
    t.is(r.exitCode, 2, String(r.stderr));
    t.regex(String(r.stderr), message);
    t.true(oneLine(String(r.stderr)));
  });
}

test('qemu.unsafe lets a target name a QEMU build of its own, but never another program', async (t) => {
  const unsafe = (binary: string) => targetsWith('x86_64', (text) => text.replace('binary: qemu-system-x86_64', `binary: ${binary}`).replace('  extraArgs: []\n', '  extraArgs: []\n  unsafe: { reason: patched QEMU under test }\n'));
  const custom = await kittest(['list', 'targets'], { KITTEST_TARGETS: unsafe('/opt/qemu/bin/qemu-system-x86_64') });
  t.is(custom.exitCode, 0, String(custom.stderr));
  const shell = await kittest(['list', 'targets'], { KITTEST_TARGETS: unsafe('/bin/sh') });
  t.is(shell.exitCode, 2, String(shell.stderr));
  t.regex(String(shell.stderr), /x86_64\.yml:7: qemu\.binary "\/bin\/sh" is not a QEMU system emulator/);
});

test('qemu.unsafe with a reason lets a target reach the host', async (t) => {
  const dir = targetsWith('x86_64', (text) => text.replace('  extraArgs: []\n', '  extraArgs: [-netdev, "user,id=n1,hostfwd=tcp::2222-:22"]\n  unsafe: { reason: debugging a guest over ssh }\n'));
  const r = await kittest(['list', 'targets'], { KITTEST_TARGETS: dir });
  t.is(r.exitCode, 0, String(r.stderr));
});

test('--keep-failed without a terminal is refused in one line, exit 2, before anything is built or booted', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-keep-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cache = join(dir, 'cache');
  // No image in this cache: a refusal that came later would start building the reference image.
  const r = await kittest(['run', '--keep-failed', '--arch', 'x86_64', '--json', join(dir, 'r.json')], { KITTEST_CACHE: cache });
  t.is(r.exitCode, 2, String(r.stderr));
  t.regex(String(r.stderr), /^kittest: --keep-failed needs a terminal \(stdin and stdout a TTY\)/);
  t.true(oneLine(String(r.stderr)), String(r.stderr));
  t.is(String(r.stdout), '');
  t.deepEqual(readdirSync(dir), [], 'no cache, no report: nothing was built, booted or written');
});

test('--keep-failed with a terminal on stdin but stdout redirected is refused the same way', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-keep-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'out.txt');
  // stdin (and stderr) on a pty, stdout into a file: the console could not be shown there.
  const term = pty.spawn('/bin/sh', ['-c', `exec "$0" "$1" run --keep-failed --arch x86_64 > "$2"`, process.execPath, kittestBin, out], {
    cols: 200,
    rows: 10,
    env: { ...process.env, NO_COLOR: '1', KITTEST_CACHE: join(dir, 'cache') } as Record<string, string>,
  });
  let screen = '';
  term.onData((d) => (screen += d));
  const code = await new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
  t.is(code, 2, screen);
  t.regex(screen, /kittest: --keep-failed needs a terminal/);
  t.is(readFileSync(out, 'utf8'), '');
  t.deepEqual(readdirSync(dir), ['out.txt']);
});
