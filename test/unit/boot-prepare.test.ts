// The one boot preparation (src/boot/prepare.ts) and the one "can this host run this target"
// (src/qemu/host-support.ts), without booting anything.
import test from 'ava';
import { prepareBoot, requireAccel, requireHostCanRun } from '../../src/boot/prepare.ts';
import { loadTargets, type Target } from '../../src/config/targets.ts';
import { HostError, UsageError } from '../../src/errors.ts';
import type { BootFiles } from '../../src/images/boot-files.ts';
import { hostLacks, uefiLacking } from '../../src/qemu/host-support.ts';

const builtIn = (name: string) => loadTargets().find((t) => t.name === name)!;
const withQemu = (target: Target, change: Partial<Target['qemu']>): Target => ({ ...target, qemu: { ...target.qemu, ...change } });
const noUefi = (target: Target): Target => ({ ...target, efi: { code: '/nonexistent/CODE.fd', vars: '/nonexistent/VARS.fd', package: 'ovmf' } });
const efiImage: BootFiles = { prefix: '/images/ref', format: 'raw-efi', firmware: 'efi', cmdline: '', files: [] } as unknown as BootFiles;

test('the accelerator asked for is auto, kvm or tcg; anything else is refused under the name the caller uses', (t) => {
  t.is(requireAccel('--accel', undefined), 'auto');
  t.is(requireAccel('accel', 'tcg'), 'tcg');
  t.throws(() => requireAccel('--accel', 'fast'), { instanceOf: UsageError, message: '--accel must be auto, kvm or tcg, got "fast"' });
  t.throws(() => requireAccel('accel', 'fast'), { instanceOf: UsageError, message: 'accel must be auto, kvm or tcg, got "fast"' });
});

test('what a host lacks: QEMU, then the firmware (not for a boot medium), then UEFI (only for an EFI image)', (t) => {
  const target = noUefi(withQemu(builtIn('x86_64'), { binary: 'qemu-system-nonexistent', firmware: '/nonexistent/bios.bin', firmwarePackage: 'seabios' }));
  t.deepEqual(hostLacks(target), [
    { what: 'qemu', file: 'qemu-system-nonexistent', package: target.qemu.package },
    { what: 'firmware', file: '/nonexistent/bios.bin', package: 'seabios' },
  ]);
  t.deepEqual(
    hostLacks(target, { ...efiImage, bootMedium: {} } as BootFiles).map((m) => m.what),
    ['qemu', 'uefi', 'uefi'],
  );
  t.deepEqual(uefiLacking(target), ['/nonexistent/CODE.fd', '/nonexistent/VARS.fd']);
});

test('a boot this host cannot run is refused in one line naming the target and the package; every QEMU and firmware before any UEFI', (t) => {
  const x86 = builtIn('x86_64');
  const arm = withQemu(builtIn('arm64'), { binary: 'qemu-system-nonexistent' });
  t.throws(() => requireHostCanRun([{ target: noUefi(x86), image: efiImage }, { target: arm }]), {
    instanceOf: HostError,
    message: `qemu-system-nonexistent not found (target arm64): install the Debian package ${arm.qemu.package}`,
  });
  t.throws(() => requireHostCanRun([{ target: withQemu(x86, { firmware: '/nonexistent/bios.bin', firmwarePackage: undefined }) }]), {
    instanceOf: HostError,
    message: 'firmware /nonexistent/bios.bin not found (target x86_64): install the Debian package that provides it',
  });
  t.throws(() => requireHostCanRun([{ target: noUefi(x86), image: efiImage }]), {
    instanceOf: HostError,
    message: 'UEFI firmware /nonexistent/CODE.fd not found (target x86_64, raw-efi): install the Debian package ovmf',
  });
});

test('one machine\'s preparation refuses bad input before planning (which may build): the target, the accelerator, what must be writable', async (t) => {
  await t.throwsAsync(prepareBoot({ target: 'vax' }), { instanceOf: UsageError, message: /vax/ });
  await t.throwsAsync(prepareBoot({ target: 'x86_64', accel: 'fast', accelName: 'accel' }), { instanceOf: UsageError, message: 'accel must be auto, kvm or tcg, got "fast"' });
  const asked: string[] = [];
  const requireOutputs = (target: Target) => {
    asked.push(target.name);
    throw new UsageError(`--log: cannot write ${target.name}-console.log`);
  };
  await t.throwsAsync(prepareBoot({ target: 'arm64', requireOutputs }), { instanceOf: UsageError, message: '--log: cannot write arm64-console.log' });
  t.deepEqual(asked, ['arm64']);
});
