import test from 'ava';
import { hostPackages, imageTools, testTools } from '../../scripts/host-packages.mjs';
import { type SetupHost, setupCommand } from '../../src/commands/setup.ts';
import { loadTargets } from '../../src/config/targets.ts';
import { HostError } from '../../src/errors.ts';
import { kittest } from '../helpers/cli.ts';

/** A host where `missing` are not installed; records what setup printed and installed. */
function fakeHost(missing: readonly string[], root: boolean) {
  const lines: string[] = [];
  const installs: string[][] = [];
  let done = false;
  const host: SetupHost = {
    isRoot: () => root,
    installed: (names) => new Set(names.filter((n) => done || !missing.includes(n))),
    install: (names) => {
      installs.push([...names]);
      done = true;
      return undefined;
    },
    out: (line) => lines.push(line),
  };
  return { host, lines, installs };
}

test("a target's QEMU and firmware packages come from its target file; tests' tools only when asked", (t) => {
  const targets = loadTargets();
  const all = hostPackages(targets);
  for (const target of targets) {
    t.true(all.has(target.qemu.package), target.name);
    if (target.qemu.firmwarePackage) t.true(all.has(target.qemu.firmwarePackage));
    if (target.efi) t.true(all.has(target.efi.package));
  }
  for (const tool of Object.keys(imageTools)) t.true(all.has(tool));
  for (const tool of Object.keys(testTools)) t.false(all.has(tool));
  t.true(hostPackages(targets, { tests: true }).has('chromium'));
  t.is(hostPackages(targets).get('qemu-system-misc'), 'riscv64 guests, s390x guests');
});

test('--dry-run prints the apt-get install command for the missing packages of the chosen targets', async (t) => {
  const { host, lines, installs } = fakeHost(['qemu-system-x86', 'ovmf', 'xorriso', 'qemu-system-arm'], true);
  t.is(await setupCommand({ arch: 'x86_64', 'dry-run': true }, [], host), 0);
  t.deepEqual(lines, [
    '# qemu-system-x86: x86_64 guests',
    '# ovmf: UEFI firmware for x86_64',
    '# xorriso: ISO images',
    'apt-get install -y --no-install-recommends qemu-system-x86 ovmf xorriso',
  ]);
  t.deepEqual(installs, []);
});

test('without root it says, in one line, what to run', async (t) => {
  const { host, installs } = fakeHost(['qemu-system-misc', 'opensbi'], false);
  const error = await t.throwsAsync(setupCommand({ arch: 'riscv64' }, [], host), { instanceOf: HostError });
  t.is(error?.message, 'setup: installing packages needs root; run: sudo apt-get install -y --no-install-recommends qemu-system-misc opensbi');
  t.is(error?.exitCode, 2);
  t.deepEqual(installs, []);
});

test('as root it installs what is missing, and says when nothing is', async (t) => {
  const { host, lines, installs } = fakeHost(['qemu-system-ppc'], true);
  t.is(await setupCommand({ arch: 'ppc64le' }, [], host), 0);
  t.deepEqual(installs, [['qemu-system-ppc']]);
  t.is(lines.at(-1), 'kittest setup: every host package for ppc64le is installed');
});

test('an unknown arch is one line, exit 2', async (t) => {
  const result = await kittest(['setup', '--arch', 'vax', '--dry-run']);
  t.is(result.exitCode, 2);
  t.is(result.stderr, 'kittest: unknown arch "vax" (known: arm64, ppc64le, riscv64, s390x, x86_64)');
});
