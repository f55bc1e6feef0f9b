// kittest doctor: can this host run each target? QEMU binary and version, firmware, KVM.
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { loadTargets } from '../config/targets.ts';
import { chooseAccel, hostKernelArch, kvmUsable } from '../qemu/accel.ts';
import { findOnPath } from '../qemu/find-binary.ts';
import { colorFor } from '../util/color.ts';

/** Print one line per target; exit 1 when a default target cannot run. */
export async function doctorCommand(): Promise<number> {
  const color = colorFor();
  const kvm = kvmUsable();
  let broken = 0;
  for (const target of loadTargets()) {
    const problems: string[] = [];
    const binary = findOnPath(target.qemu.binary);
    let version = '';
    if (!binary) problems.push(`${target.qemu.binary} missing: apt-get install ${target.qemu.package}`);
    else {
      const out = await execa(binary, ['--version'], { reject: false, timeout: 10_000 });
      version = /version (\S+)/.exec(out.stdout)?.[1] ?? 'unknown version';
    }
    if (target.qemu.firmware && !existsSync(target.qemu.firmware)) {
      problems.push(`firmware ${target.qemu.firmware} missing: apt-get install ${target.qemu.firmwarePackage ?? '(see target file)'}`);
    }
    const accel = chooseAccel(target, hostKernelArch(), kvm);
    const state = problems.length ? color.red('missing') : color.green('ok');
    if (problems.length && target.default) broken += 1;
    process.stdout.write(
      `${target.name.padEnd(10)} ${state}  ${binary ? `${target.qemu.binary} ${version}` : ''}${problems.length ? problems.join('; ') : ''}  [${accel.reason}]\n`,
    );
  }
  return broken ? 1 : 0;
}
