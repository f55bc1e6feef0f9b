// raw-bios (MBR, syslinux on FAT32), raw-efi (GPT, EFI System Partition with a standalone GRUB)
// and their qcow2 conversions. The FAT is made as its own file and written in at 1 MiB.
import { closeSync, openSync, readFileSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { runChecked } from '../exec.ts';
import { run } from '../exec.ts';
import { HostError } from '../../errors.ts';
import { bootCmdline, bootPaths, grubConfig, syslinuxConfig } from './boot-config.ts';
import { consoleDevice } from './console-device.ts';
import type { FormatContext } from './context.ts';
import { diskLayout, fatBytesFor, sfdiskScript, type DiskLayout } from './disk-layout.ts';
import { fatCopy, fatMkdirs, makeFat, writeInto } from './fat.ts';
import { grubPlatform, mkStandalone } from './grub.ts';
import { hostFile } from './host-files.ts';
import { bootableKernel } from './kernel-file.ts';

/** The MBR boot code area (before the partition table at byte 446). */
const mbrCodeBytes = 440;

async function partition(disk: string, layout: DiskLayout): Promise<void> {
  closeSync(openSync(disk, 'w'));
  truncateSync(disk, layout.diskBytes);
  const result = await run('sfdisk', ['--quiet', '--no-reread', '--no-tell-kernel', disk], { input: sfdiskScript(layout) });
  if (result.code !== 0) throw new HostError(`sfdisk ${disk} failed: ${result.stderr.trim().split('\n').pop() ?? `exit status ${result.code}`}`);
}

export async function buildRaw(ctx: FormatContext, firmware: 'bios' | 'efi'): Promise<void> {
  const kernel = join(ctx.scratch, 'kernel');
  await bootableKernel(`${ctx.image.prefix}-kernel`, kernel);
  const initrd = `${ctx.image.prefix}-initrd.img`;
  const cmdline = bootCmdline(ctx.manifest.cmdline, consoleDevice(ctx.image.target));
  const fat = join(ctx.scratch, 'esp.fat');
  const files: [string, string][] = [[kernel, bootPaths.kernel], [initrd, bootPaths.initrd]];
  const dirs = ['/boot'];

  if (firmware === 'efi') {
    const platform = await grubPlatform(ctx.image.target, ctx.manifest, ctx.log);
    const cfg = join(ctx.scratch, 'grub.cfg');
    writeFileSync(cfg, grubConfig({ cmdline, searchRoot: true }));
    const efi = join(ctx.scratch, platform.bootFile);
    ctx.log(`making EFI/BOOT/${platform.bootFile} (grub-mkstandalone ${platform.format})`);
    await mkStandalone(platform, cfg, efi);
    dirs.push('/EFI', '/EFI/BOOT');
    files.push([efi, `/EFI/BOOT/${platform.bootFile}`]);
  } else {
    const cfg = join(ctx.scratch, 'syslinux.cfg');
    writeFileSync(cfg, syslinuxConfig(cmdline));
    files.push([cfg, '/syslinux.cfg']);
  }

  const payload = files.reduce((sum, [source]) => sum + statSync(source).size, 0);
  const layout = diskLayout(firmware === 'efi' ? 'gpt' : 'dos', fatBytesFor(payload));
  await makeFat(fat, layout.partitionBytes, firmware === 'efi' ? 'ESP' : 'KITTEST');
  await fatMkdirs(fat, dirs);
  for (const [source, dest] of files) await fatCopy(fat, source, dest);
  // syslinux --install writes ldlinux.sys/ldlinux.c32 and the FAT boot sector through mtools.
  if (firmware === 'bios') await runChecked('syslinux', ['--install', fat]);

  const name = firmware === 'efi' ? `${ctx.name}-efi.img` : `${ctx.name}-bios.img`;
  const disk = join(ctx.out, name);
  ctx.log(`writing ${name} (${(layout.diskBytes / 1048576).toFixed(0)} MiB, ${layout.label})`);
  await partition(disk, layout);
  if (firmware === 'bios') {
    const mbr = readFileSync(hostFile('syslinuxMbr')).subarray(0, mbrCodeBytes);
    const fd = openSync(disk, 'r+');
    try {
      writeSync(fd, mbr, 0, mbr.length, 0);
    } finally {
      closeSync(fd);
    }
  }
  writeInto(disk, layout.partitionOffset, fat);
}

/** qcow2 of a raw disk image (qemu-img convert), for the qcow2-bios / qcow2-efi formats. */
export async function buildQcow2(ctx: FormatContext, raw: string, outName: string): Promise<void> {
  ctx.log(`converting ${raw.replace(/^.*\//, '')} to ${outName}`);
  await runChecked('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, join(ctx.out, outName)]);
}
