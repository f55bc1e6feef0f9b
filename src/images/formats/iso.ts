// iso-bios (isolinux El Torito, isohybrid) and iso-efi (grub-mkrescue, EFI platform only):
// the kernel and the full reference initramfs, LinuxKit style (the root stays the initramfs).
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runChecked } from '../exec.ts';
import { bootCmdline, bootPaths, grubConfig, syslinuxConfig } from './boot-config.ts';
import { consoleDevice } from './console-device.ts';
import type { FormatContext } from './context.ts';
import { grubPlatform, mkRescue } from './grub.ts';
import { hostFile } from './host-files.ts';
import { bootableKernel } from './kernel-file.ts';

/** The ISO's folder tree: boot/kernel and boot/initrd.img. */
async function stageBootFiles(ctx: FormatContext, tree: string): Promise<void> {
  mkdirSync(join(tree, 'boot'), { recursive: true });
  await bootableKernel(`${ctx.image.prefix}-kernel`, join(tree, bootPaths.kernel));
  copyFileSync(`${ctx.image.prefix}-initrd.img`, join(tree, bootPaths.initrd));
}

export async function buildIso(ctx: FormatContext, firmware: 'bios' | 'efi'): Promise<void> {
  const tree = join(ctx.scratch, 'iso');
  await stageBootFiles(ctx, tree);
  const cmdline = bootCmdline(ctx.manifest.cmdline, consoleDevice(ctx.image.target));
  if (firmware === 'bios') {
    const out = join(ctx.out, `${ctx.name}.iso`);
    mkdirSync(join(tree, 'isolinux'));
    copyFileSync(hostFile('isolinux'), join(tree, 'isolinux/isolinux.bin'));
    copyFileSync(hostFile('ldlinux'), join(tree, 'isolinux/ldlinux.c32'));
    writeFileSync(join(tree, 'isolinux/isolinux.cfg'), syslinuxConfig(cmdline));
    ctx.log(`writing ${ctx.name}.iso (isolinux)`);
    await runChecked('xorriso', [
      '-as', 'mkisofs', '-quiet',
      '-o', out,
      '-isohybrid-mbr', hostFile('isohybridMbr'),
      '-c', 'isolinux/boot.cat',
      '-b', 'isolinux/isolinux.bin', '-no-emul-boot', '-boot-load-size', '4', '-boot-info-table',
      '-V', 'KITTEST', '-R', '-J',
      tree,
    ]);
    return;
  }
  const platform = await grubPlatform(ctx.image.target, ctx.manifest, ctx.log);
  mkdirSync(join(tree, 'boot/grub'), { recursive: true });
  writeFileSync(join(tree, 'boot/grub/grub.cfg'), grubConfig({ cmdline }));
  ctx.log(`writing ${ctx.name}-efi.iso (grub-mkrescue ${platform.format})`);
  await mkRescue(platform, tree, join(ctx.out, `${ctx.name}-efi.iso`));
}
