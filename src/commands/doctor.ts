// kittest doctor: can this host run each target? QEMU binary and version, firmware, KVM.
import { execa } from 'execa';
import { loadTargets } from '../config/targets.ts';
import { chooseAccel, detectAccel, hostKernelArch, kvmUsable } from '../qemu/accel.ts';
import { findOnPath } from '../util/find-binary.ts';
import { hostLacks, uefiLacking } from '../qemu/host-support.ts';
import { colorFor } from '../util/color.ts';

/** Print one line per target; exit 1 when a default target cannot run. */
export async function doctorCommand(): Promise<number> {
  const color = colorFor();
  const kvm = kvmUsable();
  let unusable = 0;
  for (const target of loadTargets()) {
    const missing = hostLacks(target);
    const problems = missing.map((m) => (m.what === 'qemu' ? `${m.file} missing: apt-get install ${m.package}` : `firmware ${m.file} missing: apt-get install ${m.package ?? '(see target file)'}`));
    const binary = missing.some((m) => m.what === 'qemu') ? undefined : findOnPath(target.qemu.binary);
    let version = '';
    if (binary) {
      const out = await execa(binary, ['--version'], { reject: false, timeout: 10_000 });
      version = /version (\S+)/.exec(out.stdout)?.[1] ?? 'unknown version';
    }
    // EFI firmware only matters for the *-efi formats: its absence is a note, not a broken target.
    const notes: string[] = [];
    if (target.qemu.firmware && !missing.some((m) => m.what === 'firmware')) notes.push(`firmware ${target.qemu.firmware}`);
    if (target.efi) {
      const uefiMissing = uefiLacking(target);
      notes.push(uefiMissing.length ? `UEFI firmware ${uefiMissing.join(', ')} missing (only *-efi formats): apt-get install ${target.efi.package}` : `UEFI ${target.efi.code}`);
    }
    notes.push(`formats ${target.formats.join(', ')}`);
    // The real probe: /dev/kvm can open and still fail at the first vCPU (nested virtualisation).
    const accel = binary ? await detectAccel(target) : chooseAccel(target, hostKernelArch(), kvm);
    const state = problems.length ? color.red('missing') : color.green('ok');
    if (problems.length && target.default) unusable += 1;
    process.stdout.write(
      `${target.name.padEnd(10)} ${state}  ${binary ? `${target.qemu.binary} ${version}` : ''}${problems.length ? problems.join('; ') : ''}  [${accel.reason}]\n${notes.map((n) => `${' '.repeat(12)}${n}\n`).join('')}`,
    );
  }
  return unusable ? 1 : 0;
}
