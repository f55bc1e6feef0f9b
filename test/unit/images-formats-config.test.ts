import test from 'ava';
import { bootCmdline, grubConfig, syslinuxConfig } from '../../src/images/formats/boot-config.ts';
import { diskLayout, espType, fatBytesFor, sfdiskScript } from '../../src/images/formats/disk-layout.ts';

test('the bootloader command line is the image cmdline plus the target console, unless it has one', (t) => {
  t.is(bootCmdline('panic=-1', 'ttyS0'), 'panic=-1 console=ttyS0');
  t.is(bootCmdline('', 'ttyAMA0'), 'console=ttyAMA0');
  t.is(bootCmdline('quiet console=hvc0', 'ttyS0'), 'quiet console=hvc0');
});

test('syslinux boots at once, on the serial port, with kernel, initrd and append', (t) => {
  const cfg = syslinuxConfig('panic=-1 console=ttyS0');
  t.regex(cfg, /^SERIAL 0 115200$/m);
  t.regex(cfg, /^PROMPT 0$/m);
  t.regex(cfg, /^TIMEOUT 0$/m);
  t.regex(cfg, /^DEFAULT kittest$/m);
  t.regex(cfg, /^\s+LINUX \/boot\/kernel$/m);
  t.regex(cfg, /^\s+INITRD \/boot\/initrd\.img$/m);
  t.regex(cfg, /^\s+APPEND panic=-1 console=ttyS0$/m);
  t.true(cfg.indexOf('SERIAL') < cfg.indexOf('LABEL'), 'SERIAL must come first to catch all output');
});

test('grub.cfg has timeout 0 and one entry; serial and search only when asked', (t) => {
  const plain = grubConfig({ cmdline: 'panic=-1 console=ttyAMA0' });
  t.regex(plain, /^set timeout=0$/m);
  t.regex(plain, /^\s+linux \/boot\/kernel panic=-1 console=ttyAMA0$/m);
  t.regex(plain, /^\s+initrd \/boot\/initrd\.img$/m);
  t.notRegex(plain, /serial|search/);
  const full = grubConfig({ cmdline: 'x', serial: true, searchRoot: true });
  t.regex(full, /^serial --unit=0 --speed=115200$/m);
  t.regex(full, /^terminal_output serial console$/m);
  t.regex(full, /^search --no-floppy --file --set=root \/boot\/kernel$/m);
  t.true(full.indexOf('search') < full.indexOf('menuentry'));
});

test('the FAT partition fits the files with room to spare, in whole MiB, never under 64 MiB', (t) => {
  const mib = 1048576;
  t.is(fatBytesFor(1000), 64 * mib);
  const big = fatBytesFor(60 * mib);
  t.is(big % mib, 0);
  t.true(big >= 60 * mib * 1.1 + 8 * mib);
});

test('MBR layout: bootable FAT32 LBA partition at 1 MiB, disk ends with it', (t) => {
  const layout = diskLayout('dos', 64 * 1048576);
  t.is(layout.partitionOffset, 1048576);
  t.is(layout.diskBytes, 65 * 1048576);
  t.is(sfdiskScript(layout), 'label: dos\nunit: sectors\nstart=2048, size=131072, type=c, bootable\n');
});

test('GPT layout: EFI System Partition at 1 MiB and room for the backup table at the end', (t) => {
  const layout = diskLayout('gpt', 64 * 1048576);
  t.true(layout.diskBytes - layout.partitionOffset - layout.partitionBytes >= 33 * 512);
  t.is(layout.diskBytes % 1048576, 0);
  const script = sfdiskScript(layout);
  t.regex(script, /^label: gpt$/m);
  t.true(script.includes(`start=2048, size=131072, type=${espType}`));
  t.is(espType, 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B');
});
