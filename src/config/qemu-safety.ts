// What a target may add to QEMU's command line. Whatever a target says, kittest keeps two promises:
// no path from the guest to the host (one user network with restrict=on and no forwards; no host
// file, folder, socket or device handed to the guest or to QEMU) and images are never written.
// The free strings of a target (binary, device models, extraArgs, firmware paths) are checked against them when
// the target is loaded; `qemu.unsafe` (with a reason, carried into every report) lifts the check.
import { realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { normalize, sep } from 'node:path';

/** One refused setting: where it is in the target file, and why. */
interface QemuSettingProblem {
  readonly path: readonly (string | number)[];
  readonly text: string;
}

/** The program name of a QEMU system emulator, looked up on PATH. */
const emulatorName = /^qemu-system-[a-z0-9_]+$/;

/** Why `qemu.binary` is not a QEMU system emulator at all (refused even with qemu.unsafe), if it is not. */
export function qemuBinaryProblem(binary: string): string | undefined {
  // A custom build is an absolute, normalised path whose last part is an emulator's name; its use is
  // checked by qemuSettingProblems, since only qemu.unsafe allows it.
  if (emulatorName.test(binary) || isCustomEmulator(binary)) return undefined;
  return `qemu.binary ${JSON.stringify(binary)} is not a QEMU system emulator: give its program name (qemu-system-ARCH, looked up on PATH), or, with qemu.unsafe, the absolute path of a QEMU build ending in one`;
}

function isCustomEmulator(binary: string): boolean {
  return /^(\/[A-Za-z0-9._+-]+)+$/.test(binary) && !/\/\.\.?(\/|$)/.test(binary) && emulatorName.test(binary.slice(binary.lastIndexOf('/') + 1));
}

/** A QEMU device or machine model name alone: no ",key=value" options. */
const modelName = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Target fields that go into argv as a model name, before options kittest adds itself. */
const modelFields = ['machine', 'nic', 'rng', 'disk', 'scsi', 'panicDevice'] as const;

/** Options that only shape the virtual machine, and whether each takes a value. */
const shapeOnly: Readonly<Record<string, boolean>> = {
  cpu: true, smp: true, m: true, rtc: true, name: true, uuid: true, k: true, numa: true,
  overcommit: true, msg: true, sandbox: true, action: true, 'watchdog-action': true,
  'no-hpet': false, 'no-acpi': false, nodefaults: false, 'no-user-config': false, 'no-reboot': false, 'no-shutdown': false,
};

/** Why the options kittest refuses outright are refused. */
const refusedBecause: Readonly<Record<string, string>> = {
  ...Object.fromEntries(['netdev', 'nic', 'net'].map((o) => [o, "adds a network (the guest's only network is kittest's restricted user network, with no host forwards)"])),
  ...Object.fromEntries(['blockdev', 'hda', 'hdb', 'hdc', 'hdd', 'cdrom', 'fda', 'fdb', 'sd', 'mtdblock', 'pflash'].map((o) => [o, 'attaches storage that may be written (use -drive with readonly=on)'])),
  ...Object.fromEntries(['chardev', 'serial', 'parallel', 'monitor', 'mon', 'qmp', 'qmp-pretty', 'debugcon', 'gdb', 's', 'vnc', 'spice', 'display', 'audiodev'].map((o) => [o, 'connects the guest or QEMU to a host file, socket or terminal'])),
  ...Object.fromEntries(['object', 'fsdev', 'virtfs', 'add-fd', 'fw_cfg', 'acpitable', 'smbios', 'option-rom', 'bios', 'kernel', 'initrd', 'append', 'dtb', 'L', 'mem-path', 'plugin', 'readconfig', 'incoming', 'loadvm', 'semihosting', 'semihosting-config', 'usbdevice', 'boot', 'icount'].map((o) => [o, 'hands the guest or QEMU a host file, folder, device or socket'])),
  ...Object.fromEntries(['D', 'd', 'trace', 'pidfile', 'writeconfig', 'daemonize', 'chroot', 'runas', 'run-with', 'qtest', 'S'].map((o) => [o, 'writes host files or changes how QEMU runs under kittest'])),
};

/** Device models that reach the host by themselves, with no backend option. */
const hostDevices = /^(usb-host|vfio-|vhost-|u2f-passthru|usb-mtp|loader|guest-loader|xen-|pci-assign|kvm-pci-assign)/;
/** Device, -global and -machine properties that name a host file, folder or device. */
const hostProperties = new Set(['romfile', 'file', 'rootdir', 'kernel', 'initrd', 'append', 'firmware', 'dtb', 'dumpdtb', 'sysfsdev', 'host', 'hostbus', 'hostaddr', 'hostport', 'hostdevice', 'hidraw', 'vhostfd', 'fd', 'guest-cid', 'wwpn', 'memory-backend']);
/** Values QEMU reads as "on" for a boolean property. */
const on = new Set(['on', 'yes', 'true', 'y']);

/** Split a QEMU option value into its comma-separated pieces (",," is a comma). */
export function splitOptionValue(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    if (value[i] !== ',') current += value[i];
    else if (value[i + 1] === ',') current += value[i++];
    else {
      parts.push(current);
      current = '';
    }
  }
  return [...parts, current];
}

/** "key=value" and bare "key" pieces as [key, value]; the first bare piece is `implied` (driver, model). */
function optionPairs(value: string, implied: string): [string, string][] {
  return splitOptionValue(value).map((piece, i) => {
    const at = piece.indexOf('=');
    if (at >= 0) return [piece.slice(0, at), piece.slice(at + 1)];
    return i === 0 ? [implied, piece] : [piece, 'on'];
  });
}

/** -device in QEMU's JSON form as [key, value] pairs; only flat objects are read (anything else is refused). */
function jsonPairs(value: string): [string, string][] | string {
  let data: unknown;
  try {
    data = JSON.parse(value);
  } catch {
    return 'is not JSON that kittest can read (QEMU reads a value starting with "{" as JSON)';
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'is not a JSON object';
  const pairs = Object.entries(data);
  if (pairs.some(([, v]) => typeof v === 'object' && v !== null)) return 'has a nested JSON value, which kittest does not read';
  return pairs.map(([k, v]) => [k, String(v)]);
}

/** Why one -device, -global or -machine value could reach the host, if it could. */
function propertyProblem(option: 'device' | 'global' | 'machine', value: string): string | undefined {
  let driver: string | undefined;
  let properties: string[];
  // QEMU reads a value starting with "{" as JSON: for -device (and, in newer QEMUs, other options too).
  if (value.trimStart().startsWith('{')) {
    if (option !== 'device') return 'is in JSON form, which kittest reads only for -device';
    const pairs = jsonPairs(value.trim());
    if (typeof pairs === 'string') return pairs;
    driver = pairs.find(([key]) => key === 'driver')?.[1];
    properties = pairs.map(([key]) => key);
  } else if (option === 'global' && !/(^|,)(driver|property)=/.test(value)) {
    // -global DRIVER.PROPERTY=VALUE (QEMU splits at the first dot)
    const head = value.split('=')[0] ?? '';
    driver = head.slice(0, head.indexOf('.'));
    properties = [head.slice(head.indexOf('.') + 1)];
  } else {
    const pairs = optionPairs(value, option === 'device' ? 'driver' : 'type');
    driver = pairs.find(([key]) => key === 'driver')?.[1];
    properties = option === 'global' ? [pairs.find(([key]) => key === 'property')?.[1] ?? ''] : pairs.map(([key]) => key);
  }
  if (option !== 'machine' && driver !== undefined && hostDevices.test(driver)) return `uses device ${driver}, which reaches the host by itself`;
  const property = properties.find((p) => hostProperties.has(p));
  return property ? `sets ${property}=, which names a host file, folder or device` : undefined;
}

/**
 * Host folders a -drive image may not sit in, even read-only: the system (its programs, configuration,
 * secrets and state), pseudo file systems and devices, and home folders.
 */
const hostSystemFolders = ['/bin', '/boot', '/dev', '/etc', '/home', '/lib', '/lib32', '/lib64', '/libx32', '/proc', '/root', '/run', '/sbin', '/snap', '/sys', '/usr', '/var/backups', '/var/cache', '/var/lib', '/var/log', '/var/mail', '/var/run', '/var/spool'];

/** Whether `path` is `folder` or inside it. */
const isUnder = (path: string, folder: string) => path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);

/** The path itself and, when it exists, where its symbolic links lead: both are checked. */
function pathAndTarget(path: string): { real?: string; isFile?: boolean } {
  try {
    return { real: realpathSync(path), isFile: statSync(path).isFile() };
  } catch {
    return {}; // missing here (another host, a package not installed): QEMU refuses it at boot
  }
}

/** Why `path` cannot be a drive image: not absolute and plain, under a host folder, or not a regular file. */
function drivePathProblem(path: string): string | undefined {
  if (!path.startsWith('/') || normalize(path) !== path || path.endsWith('/')) return `names ${path}, which is not an absolute, plain path to an image file`;
  const { real, isFile } = pathAndTarget(path);
  const home = homedir();
  for (const p of real === undefined ? [path] : [path, real]) {
    const folder = [...hostSystemFolders, ...(home && home !== '/' ? [home] : [])].find((f) => isUnder(p, f));
    if (folder) return `names ${p}, under the host folder ${folder}, which the guest may not read`;
  }
  if (isFile === false) return `names ${path}, which is not a regular file (a device or a folder is not an image)`;
  return undefined;
}

/** Why a -drive value could write an image or reach beyond a local image file, if it could. */
function driveProblem(value: string): string | undefined {
  if (value.trimStart().startsWith('{')) return 'is in JSON form, which kittest reads only for -device';
  const options = new Map(optionPairs(value, 'file'));
  if (!on.has(options.get('readonly') ?? 'off')) return 'attaches a drive without readonly=on, so QEMU could write the file';
  const file = options.get('file');
  if (file === undefined || /^[A-Za-z0-9+.-]+:/.test(file) || options.has('driver')) return 'is not a plain local file (file=PATH, with no protocol and no driver=)';
  return drivePathProblem(file);
}

/** Folders of the Debian packages that ship QEMU firmware (ovmf, qemu-efi-aarch64, qemu-efi-arm, qemu-efi-riscv64, seabios, qemu-system-data, opensbi, u-boot-qemu). */
const firmwareFolders = ['/usr/share/OVMF', '/usr/share/ovmf', '/usr/share/AAVMF', '/usr/share/qemu-efi-aarch64', '/usr/share/qemu-efi-riscv64', '/usr/share/qemu', '/usr/share/seabios', '/usr/lib/riscv64-linux-gnu/opensbi', '/usr/lib/u-boot'];

/** Why a firmware path (QEMU reads it, and efi.vars is copied for the guest to read) is not packaged firmware, if it is not. */
function firmwareProblem(field: string, path: string): string | undefined {
  const where = `${field} ${JSON.stringify(path)}`;
  if (!path.startsWith('/') || normalize(path) !== path) return `${where} is not an absolute, plain path`;
  const { real, isFile } = pathAndTarget(path);
  for (const p of real === undefined ? [path] : [path, real]) {
    if (!firmwareFolders.some((f) => isUnder(p, f) && p !== f)) return `${where}${p === path ? '' : ` (${p})`} is not a file of the Debian firmware packages (under ${firmwareFolders.join(', ')})`;
  }
  if (isFile === false) return `${where} is not a regular file`;
  return undefined;
}

/** Problems with a target's firmware paths (qemu.firmware, efi.code, efi.vars). */
export function firmwareProblems(target: { readonly qemu: { readonly firmware?: string }; readonly efi?: { readonly code: string; readonly vars: string } }): QemuSettingProblem[] {
  const fields: [(string | number)[], string | undefined][] = [
    [['qemu', 'firmware'], target.qemu.firmware],
    [['efi', 'code'], target.efi?.code],
    [['efi', 'vars'], target.efi?.vars],
  ];
  return fields.flatMap(([path, value]) => {
    const text = value === undefined ? undefined : firmwareProblem(path.join('.'), value);
    return text ? [{ path, text }] : [];
  });
}

/** Problems with a target's QEMU settings, in file order (empty when they keep kittest's promises). */
export function qemuSettingProblems(qemu: { readonly extraArgs: readonly string[]; readonly binary?: string } & Partial<Record<(typeof modelFields)[number], string>>): QemuSettingProblem[] {
  const problems: QemuSettingProblem[] = [];
  // The Debian QEMU is the one whose user network and read-only drives the promises were checked with.
  if (qemu.binary !== undefined && isCustomEmulator(qemu.binary)) {
    problems.push({ path: ['qemu', 'binary'], text: `qemu.binary ${JSON.stringify(qemu.binary)} is a QEMU build of its own, whose restricted network and read-only drives kittest cannot vouch for` });
  }
  for (const field of modelFields) {
    const value = qemu[field];
    if (value !== undefined && !modelName.test(value)) {
      problems.push({ path: ['qemu', field], text: `qemu.${field} ${JSON.stringify(value)} must be a model name alone: options (",netdev=", ",romfile=", ...) could connect the guest to the host` });
    }
  }
  const args = qemu.extraArgs;
  for (let i = 0; i < args.length; i++) {
    const token = args[i]!;
    const name = token.replace(/^--?/, '');
    const where = `qemu.extraArgs[${i}] ${JSON.stringify(token)}`;
    if (!token.startsWith('-')) {
      problems.push({ path: ['qemu', 'extraArgs', i], text: `${where} is not an option (each option and its value are separate items)` });
      continue;
    }
    const special = name === 'M' ? 'machine' : name;
    if (special === 'device' || special === 'global' || special === 'machine' || special === 'drive') {
      const value = args[i + 1];
      const problem = value === undefined ? 'has no value' : special === 'drive' ? driveProblem(value) : propertyProblem(special, value);
      if (problem) problems.push({ path: ['qemu', 'extraArgs', value === undefined ? i : i + 1], text: `${where}${value === undefined ? '' : ` ${JSON.stringify(value)}`} ${problem}` });
      i++;
    } else if (name in shapeOnly) {
      if (!shapeOnly[name]) continue;
      const value = args[++i];
      if (value?.trimStart().startsWith('{')) problems.push({ path: ['qemu', 'extraArgs', i], text: `${where} ${JSON.stringify(value)} is in JSON form, which kittest reads only for -device` });
    } else {
      problems.push({ path: ['qemu', 'extraArgs', i], text: `${where} ${refusedBecause[name] ?? 'is not one of the options that only shape the machine'}` });
    }
  }
  return problems;
}
