import test from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { splitOptionValue } from '../../src/config/qemu-safety.ts';
import { loadTargets } from '../../src/config/targets.ts';
import { projectRoot } from '../../src/config/paths.ts';
import type { BootFiles } from '../../src/images/boot-files.ts';
import { buildArgv, kernelCmdline, optionValue } from '../../src/qemu/argv.ts';

const initrdImage: BootFiles = {
  prefix: '/images/ref',
  format: 'kernel+initrd',
  kernel: '/images/ref-kernel',
  initrd: '/images/ref-initrd.img',
  cmdline: 'console=tty0 panic=-1',
  files: ['/images/ref-kernel', '/images/ref-initrd.img'],
};
const host = { mac: '52:54:00:12:34:56', runDir: '/run/kittest-x' };

// Golden files: UPDATE_GOLDEN=1 npx ava test/unit/argv.test.ts rewrites them.
for (const target of loadTargets()) {
  for (const accel of ['tcg', 'kvm'] as const) {
    test(`the QEMU command line for ${target.name} under ${accel} matches its golden file`, (t) => {
      const argv = buildArgv(target, initrdImage, { ...host, accel });
      const file = join(projectRoot, 'test', 'golden', `argv-${target.name}-${accel}.json`);
      const text = `${JSON.stringify(argv, null, 2)}\n`;
      if (process.env.UPDATE_GOLDEN || !existsSync(file)) writeFileSync(file, text);
      t.is(text, readFileSync(file, 'utf8'));
    });
  }
}

test('the builder is pure: the same inputs give the same argv', (t) => {
  const [target] = loadTargets();
  t.deepEqual(buildArgv(target!, initrdImage, { ...host, accel: 'tcg' }), buildArgv(target!, initrdImage, { ...host, accel: 'tcg' }));
});

test('the image console= is replaced by the target console, which comes last', (t) => {
  const target = loadTargets().find((x) => x.name === 'arm64')!;
  t.is(kernelCmdline(target, initrdImage), 'panic=-1 console=ttyAMA0');
});

test('a squashfs image boots from a read-only virtio disk with root= pointing at it', (t) => {
  const target = loadTargets().find((x) => x.name === 's390x')!;
  const image: BootFiles = { ...initrdImage, format: 'kernel+squashfs', initrd: undefined, rootDisk: '/images/ref-squashfs.img' };
  const argv = buildArgv(target, image, { ...host, accel: 'tcg' });
  t.false(argv.includes('-initrd'));
  t.true(argv.includes('file=/images/ref-squashfs.img,if=none,id=root,format=raw,readonly=on'));
  t.true(argv.includes('virtio-blk-ccw,drive=root'));
  t.regex(argv[argv.indexOf('-append') + 1]!, /root=\/dev\/vda rootfstype=squashfs ro console=ttysclp0$/);
});

test('the guest network is restricted and the RNG is fed from /dev/urandom', (t) => {
  const argv = buildArgv(loadTargets()[0]!, initrdImage, { ...host, accel: 'tcg' });
  t.true(argv.includes('user,id=net0,restrict=on'));
  t.true(argv.includes('rng-random,id=rng0,filename=/dev/urandom'));
  t.false(argv.some((a) => a.includes('hostfwd')));
});

// One golden file per firmware-booted format on the targets that boot it.
const mediumImage = (format: BootFiles['format'], path: string, media: 'cdrom' | 'disk', driver: 'raw' | 'qcow2', firmware: 'bios' | 'efi'): BootFiles => ({
  prefix: path,
  format,
  bootMedium: { path, media, driver },
  firmware,
  cmdline: '',
  files: [path],
});
const media: BootFiles[] = [
  mediumImage('iso-bios', '/images/ref.iso', 'cdrom', 'raw', 'bios'),
  mediumImage('iso-efi', '/images/ref-efi.iso', 'cdrom', 'raw', 'efi'),
  mediumImage('raw-bios', '/images/ref-bios.img', 'disk', 'raw', 'bios'),
  mediumImage('raw-efi', '/images/ref-efi.img', 'disk', 'raw', 'efi'),
  mediumImage('qcow2-bios', '/images/ref.qcow2', 'disk', 'qcow2', 'bios'),
  mediumImage('qcow2-efi', '/images/ref-efi.qcow2', 'disk', 'qcow2', 'efi'),
];
for (const target of loadTargets()) {
  for (const image of media.filter((m) => target.formats.includes(m.format))) {
    test(`the QEMU command line for ${image.format} on ${target.name} matches its golden file`, (t) => {
      const argv = buildArgv(target, image, { ...host, accel: 'tcg' });
      const file = join(projectRoot, 'test', 'golden', `argv-${target.name}-${image.format}.json`);
      const text = `${JSON.stringify(argv, null, 2)}\n`;
      if (process.env.UPDATE_GOLDEN || !existsSync(file)) writeFileSync(file, text);
      t.is(text, readFileSync(file, 'utf8'));
    });
  }
}

test('firmware formats boot from a read-only medium with no -kernel, and EFI gets a private variable store', (t) => {
  const target = loadTargets().find((x) => x.name === 'arm64')!;
  const argv = buildArgv(target, media[1]!, { ...host, accel: 'tcg' });
  t.false(argv.includes('-kernel'));
  t.false(argv.includes('-append'));
  t.true(argv.includes('file=/images/ref-efi.iso,if=none,id=boot,format=raw,readonly=on,media=cdrom'));
  t.true(argv.includes('scsi-cd,bus=scsi0.0,drive=boot,bootindex=0'));
  t.true(argv.includes('if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/AAVMF/AAVMF_CODE.fd'));
  t.true(argv.includes('if=pflash,format=raw,unit=1,file=/run/kittest-x/efi-vars.fd'));
  t.deepEqual(argv.slice(argv.indexOf('-boot'), argv.indexOf('-boot') + 2), ['-boot', 'menu=on,splash-time=0']);
});

test('BIOS disks use SeaBIOS (no pflash) and the NIC carries no PXE ROM', (t) => {
  const target = loadTargets().find((x) => x.name === 'x86_64')!;
  const argv = buildArgv(target, media[4]!, { ...host, accel: 'tcg' });
  t.false(argv.some((a) => a.includes('pflash')));
  t.true(argv.includes('file=/images/ref.qcow2,if=none,id=boot,format=qcow2,readonly=on'));
  t.true(argv.includes('virtio-blk-pci,drive=boot,bootindex=0'));
  t.true(argv.some((a) => a.startsWith('virtio-net-pci,') && a.endsWith(',romfile=')));
});

const fileOf = (value: string | undefined) => splitOptionValue(value ?? '').find((p) => p.startsWith('file='))?.slice('file='.length);

test('commas in the option values are doubled, as QEMU option syntax needs', (t) => {
  t.is(optionValue('/tmp/a,b,,c'), '/tmp/a,,b,,,,c');
  t.is(optionValue('/plain/path'), '/plain/path');
  t.deepEqual(splitOptionValue(`file=${optionValue('a,,,b')},x=1`), ['file=a,,,b', 'x=1']);
});

test('image, run-folder and firmware paths with commas stay one value in every path option', (t) => {
  const runDir = '/tmp/odd,dir/kittest-x,readonly=off';
  const x86 = loadTargets().find((x) => x.name === 'x86_64')!;
  const target = { ...x86, efi: { ...x86.efi!, code: '/fw,1/OVMF_CODE.fd' } };
  const disk = mediumImage('raw-efi', '/images/a,format=qcow2/ref-efi.img', 'disk', 'raw', 'efi');
  const argv = buildArgv(target, disk, { ...host, runDir, accel: 'tcg' });
  const drives = argv.flatMap((a, i) => (argv[i - 1] === '-drive' ? [a] : []));
  t.deepEqual(drives.map(fileOf), ['/fw,1/OVMF_CODE.fd', `${runDir}/efi-vars.fd`, '/images/a,format=qcow2/ref-efi.img']);
  t.true(splitOptionValue(drives[2]!).includes('readonly=on'));
  t.false(splitOptionValue(drives[2]!).includes('format=qcow2'));
  const qmp = splitOptionValue(argv[argv.indexOf('-qmp') + 1]!);
  t.deepEqual(qmp, [`unix:${runDir}/qmp.sock`, 'server=on', 'wait=off']);
  const dumps = argv.filter((a) => a.startsWith('filter-dump,'));
  t.deepEqual(dumps.map(fileOf), [`${runDir}/net-from-guest.pcap`, `${runDir}/net-to-guest.pcap`]);
  const squashfs: BootFiles = { ...initrdImage, format: 'kernel+squashfs', initrd: undefined, rootDisk: '/images/a,b/ref-squashfs.img' };
  const root = buildArgv(x86, squashfs, { ...host, accel: 'tcg' }).find((a) => a.includes('id=root'))!;
  t.is(fileOf(root), '/images/a,b/ref-squashfs.img');
});

test('the wire is captured per direction, each frame cut at maxlen: frames to the guest (queue=tx) apart from frames it sent (queue=rx)', (t) => {
  const dumps = buildArgv(loadTargets()[0]!, initrdImage, { ...host, accel: 'tcg' }).filter((a) => a.startsWith('filter-dump,')).map(splitOptionValue);
  t.is(dumps.length, 2);
  t.true(dumps[0]!.includes('id=wire-rx') && dumps[0]!.includes('queue=rx') && dumps[0]!.includes(`file=${host.runDir}/net-from-guest.pcap`));
  t.true(dumps[1]!.includes('id=wire-tx') && dumps[1]!.includes('queue=tx') && dumps[1]!.includes(`file=${host.runDir}/net-to-guest.pcap`));
  for (const dump of dumps) t.true(dump.includes('maxlen=2048'));
});
