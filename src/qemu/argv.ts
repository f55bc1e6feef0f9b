// Build the QEMU command line for a target and an image. Pure: no fs, env, clock or randomness.
import type { Target } from '../config/targets.ts';
import type { BootFiles } from '../images/boot-files.ts';
import type { WireDirection } from '../wire/capture.ts';

export type Accel = 'kvm' | 'tcg';

/** Everything about the host and this run that the command line depends on. */
interface RunHost {
  readonly accel: Accel;
  /** MAC address of the guest NIC (chosen by the caller so the builder stays pure). */
  readonly mac: string;
  /** Private 0700 folder for this VM's sockets. */
  readonly runDir: string;
}

/** A value for QEMU's comma-separated option syntax (-drive, -qmp, -object): commas doubled, so a path holding one stays one value. */
export function optionValue(text: string): string {
  return text.replaceAll(',', ',,');
}

/** The kernel command line: the image's own, minus console= (the target decides), plus the target console. */
export function kernelCmdline(target: Target, image: BootFiles): string {
  const own = image.cmdline.split(/\s+/).filter((t) => t && !t.startsWith('console='));
  const root =
    image.format === 'kernel+initrd' || own.some((t) => t.startsWith('root='))
      ? []
      : [`root=${target.rootDisk}`, `rootfstype=${image.format === 'kernel+erofs' ? 'erofs' : 'squashfs'}`, 'ro'];
  // The last console= becomes /dev/console, where the shell and kernel messages appear.
  return [...own, ...root, `console=${target.console.device}`].join(' ');
}

/**
 * Where QEMU records the frames of the guest NIC (pcap), one file per direction, for judging the
 * network from the host: `from-guest` is what the netdev receives (queue=rx), `to-guest` what
 * QEMU's side sends (queue=tx). A guest can forge a frame's source, never the file it lands in.
 */
export function wirePaths(runDir: string): Record<WireDirection, string> {
  return { 'from-guest': `${runDir}/net-from-guest.pcap`, 'to-guest': `${runDir}/net-to-guest.pcap` };
}

/** The filter-dump objects writing those files (QMP object-del stops them). */
export const wireFilters: Readonly<Record<WireDirection, { id: string; queue: 'rx' | 'tx' }>> = {
  'from-guest': { id: 'wire-rx', queue: 'rx' },
  'to-guest': { id: 'wire-tx', queue: 'tx' },
};

/** Bytes kept of each frame (filter-dump's maxlen): a whole Ethernet frame, so a DHCP message is never cut. */
const wireFrameBytes = 2048;

/** Where the run's QMP socket is (the host's view of the machine: panics, status, quit). */
export function qmpPath(runDir: string): string {
  return `${runDir}/qmp.sock`;
}

/** Where the run keeps its private copy of the UEFI variable store (the firmware writes to it). */
export function efiVarsPath(runDir: string): string {
  return `${runDir}/efi-vars.fd`;
}

/** Firmware, kernel and boot disk arguments: -kernel for kernel formats, firmware + medium for the others. */
function bootArgs(target: Target, image: BootFiles, host: RunHost): string[] {
  const q = target.qemu;
  const args: string[] = [];
  if (image.firmware === 'efi') {
    if (!target.efi) throw new Error(`target ${target.name} has no efi firmware for ${image.format}`);
    args.push(
      '-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${optionValue(target.efi.code)}`,
      '-drive', `if=pflash,format=raw,unit=1,file=${optionValue(efiVarsPath(host.runDir))}`,
      // Tell the firmware (OVMF, AAVMF via etc/boot-menu-wait) to wait 0 s at its boot menu.
      '-boot', 'menu=on,splash-time=0',
    );
  } else if (q.firmware) {
    args.push('-bios', q.firmware);
  }
  if (image.bootMedium) {
    const { path, media, driver } = image.bootMedium;
    // readonly: the image file is never written, whatever the firmware or guest does.
    args.push('-drive', `file=${optionValue(path)},if=none,id=boot,format=${driver},readonly=on${media === 'cdrom' ? ',media=cdrom' : ''}`);
    if (media === 'cdrom') args.push('-device', `${q.scsi},id=scsi0`, '-device', 'scsi-cd,bus=scsi0.0,drive=boot,bootindex=0');
    else args.push('-device', `${q.disk},drive=boot,bootindex=0`);
    return args;
  }
  if (!image.kernel) throw new Error(`${image.format} image ${image.prefix} has neither a kernel nor a boot medium`);
  args.push('-kernel', image.kernel, ...(image.initrd ? ['-initrd', image.initrd] : []), '-append', kernelCmdline(target, image));
  if (image.rootDisk) {
    args.push('-drive', `file=${optionValue(image.rootDisk)},if=none,id=root,format=raw,readonly=on`, '-device', `${q.disk},drive=root`);
  }
  return args;
}

/** QEMU argv (program first) for booting `image` on `target`. */
export function buildArgv(target: Target, image: BootFiles, host: RunHost): string[] {
  const q = target.qemu;
  const cpu = host.accel === 'kvm' ? (q.cpu.kvm ?? 'host') : q.cpu.tcg;
  const argv = [
    q.binary,
    '-machine', q.machine,
    '-accel', host.accel,
    '-cpu', cpu,
    '-m', String(q.memoryMiB),
    '-smp', String(q.smp),
    // No default devices, no user config, no display: only what is listed here.
    '-nodefaults', '-no-user-config', '-display', 'none',
    // A guest reboot (panic=-1, reboot) ends QEMU instead of booting again.
    '-no-reboot',
    // Console on QEMU's stdin/stdout pipes: nothing else on the host can attach to it.
    '-chardev', 'stdio,id=console,signal=off',
    '-serial', 'chardev:console',
    // QMP lets the harness power the guest off cleanly; its socket is in the private run folder.
    '-qmp', `unix:${optionValue(qmpPath(host.runDir))},server=on,wait=off`,
    ...bootArgs(target, image, host),
    // User-mode network with restrict=on: DHCP still answers, but the guest cannot reach the host or beyond.
    '-netdev', 'user,id=net0,restrict=on',
    // Every frame the guest NIC sends or receives, recorded by QEMU per direction: the DHCP exchange is judged from it.
    ...(['from-guest', 'to-guest'] as const).flatMap((d) => [
      '-object',
      `filter-dump,id=${wireFilters[d].id},netdev=net0,queue=${wireFilters[d].queue},maxlen=${wireFrameBytes},file=${optionValue(wirePaths(host.runDir)[d])}`,
    ]),
    '-device', `${q.nic},netdev=net0,mac=${host.mac}${image.bootMedium && q.nic.endsWith('-pci') ? ',romfile=' : ''}`,
    // virtio-rng fed from /dev/urandom: a blocking /dev/random hung LinuxKit's arm64 VMs (linuxkit#2636).
    '-object', 'rng-random,id=rng0,filename=/dev/urandom',
    '-device', `${q.rng},rng=rng0`,
  ];
  // A pvpanic device lets QEMU see a guest panic (GUEST_PANICKED on QMP) when the guest has the driver.
  if (q.panicDevice) argv.push('-device', q.panicDevice);
  argv.push(...q.extraArgs);
  return argv;
}
