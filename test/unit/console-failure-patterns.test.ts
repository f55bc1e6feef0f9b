import test from 'ava';
import { compileFailurePatterns, firmwareFailurePatterns, matchFailure } from '../../src/console/failure-patterns.ts';

const fatal: [string, string][] = [
  ['[    2.345678] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)', 'Kernel panic - not syncing'],
  ['[    1.000000] ---[ end Kernel panic - not syncing: Attempted to kill init! ]---', 'Kernel panic - not syncing'],
  ['---[ end Kernel panic ]---', 'end Kernel panic'],
  ['Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100', 'Kernel panic - not syncing'],
  ['[    3.1] VFS: Unable to mount root fs on unknown-block(0,0)', 'Unable to mount root'],
  ['[    5.000000] Oops: 0002 [#1] PREEMPT SMP NOPTI', 'Oops'],
  ['[    5.000000] Internal error: Oops: 0000000096000004 [#1] SMP', 'Oops'],
  ['[    5.000000] BUG: kernel NULL pointer dereference, address: 0000000000000000', 'BUG'],
  ['BUG: unable to handle page fault for address: ffff', 'BUG'],
  ['[    6.0] kernel BUG at mm/slub.c:123!', 'kernel BUG at'],
  ['[    7.0] general protection fault, probably for non-canonical address', 'general protection fault'],
];
for (const [line, name] of fatal) {
  test(`sees "${name}" in: ${line.slice(0, 50)}`, (t) => {
    t.is(matchFailure(line), name);
  });
}

const harmless = [
  'DEBUG: starting service',
  'NOBUG: all fine',
  'echo "no Oops here"',
  '[    1.0] random: crng init done',
  'grep -c BUGS /tmp/x',
];
for (const line of harmless) {
  test(`ignores harmless line: ${line}`, (t) => {
    t.is(matchFailure(line), undefined);
  });
}

test('extra patterns from a target file are regex strings and add to the defaults', (t) => {
  const patterns = compileFailurePatterns(['rngd: No random source', /^FATAL/g]);
  t.is(matchFailure('rngd: No random source available', patterns), 'rngd: No random source');
  t.is(matchFailure('FATAL x', patterns), '^FATAL');
  t.is(matchFailure('FATAL x', patterns), '^FATAL', 'a g flag does not make matching stateful');
  t.is(matchFailure('Kernel panic - not syncing: x', patterns), 'Kernel panic - not syncing');
  t.is(matchFailure('Kernel panic - not syncing: x', compileFailurePatterns([], { includeDefaults: false })), undefined);
});

test('an invalid regex is reported with the pattern', (t) => {
  t.throws(() => compileFailurePatterns(['(unclosed']), { instanceOf: SyntaxError, message: /"\(unclosed"/ });
});

test('firmware and boot loader give-up lines are fatal only when watched, and their ordinary lines never are', (t) => {
  const watched = compileFailurePatterns(firmwareFailurePatterns);
  const fatal = [
    'No bootable device.',
    'Boot failed: not a bootable disk',
    'BdsDxe: No bootable option or device was found.',
    'UEFI Interactive Shell v2.2',
    'grub rescue> ',
    'Could not find kernel image: /boot/kernel',
  ];
  for (const line of fatal) {
    t.truthy(matchFailure(line, watched), line);
    t.is(matchFailure(line), undefined, `${line} must not end a kernel-format run`);
  }
  for (const line of ['BdsDxe: loading Boot0001 "UEFI QEMU QEMU CD-ROM " from PciRoot(0x0)', 'Welcome to GRUB!', 'Booting from Hard Disk...', 'error: no suitable video mode found.']) {
    t.is(matchFailure(line, watched), undefined, line);
  }
});
