// One way to get ready to boot: the targets (built-in and --targets folders), the image each boots
// (given, or the reference built on demand), whether this host can run them, their boot files
// checked, the accelerator chosen. `kittest run`, `kittest shell`, `kittest bench` and the API
// prepare their boots here, then start them with BootSession.start (or runTarget).
import { loadAllTargets, selectTargets, type Target } from '../config/targets.ts';
import { HostError, UsageError } from '../errors.ts';
import type { BootFiles } from '../images/boot-files.ts';
import { checkBootFiles } from '../images/check-medium.ts';
import { planImages } from '../images/plan.ts';
import { type AccelChoice, detectAccel } from '../qemu/accel.ts';
import type { Accel } from '../qemu/argv.ts';
import { hostLacks, type Missing } from '../qemu/host-support.ts';

export type AccelWanted = 'auto' | Accel;

/** The accelerator asked for (`--accel`, the API's `accel`): auto (the default), kvm or tcg; `name` is how the caller calls it. */
export function requireAccel(name: string, value: string | undefined): AccelWanted {
  const wanted = value ?? 'auto';
  if (!['auto', 'kvm', 'tcg'].includes(wanted)) throw new UsageError(`${name} must be auto, kvm or tcg, got "${wanted}"`);
  return wanted as AccelWanted;
}

/** Refuse, before anything starts, a boot this host cannot run: every QEMU and firmware first, then the UEFI firmware of EFI images. */
export function requireHostCanRun(boots: readonly { readonly target: Target; readonly image?: BootFiles }[]): void {
  const lacking = boots.flatMap(({ target, image }) => hostLacks(target, image).map((missing) => ({ target, image, missing })));
  const first = lacking.find((l) => l.missing.what !== 'uefi') ?? lacking[0];
  if (first) throw new HostError(cannotRun(first.target, first.missing, first.image));
}

function cannotRun(target: Target, missing: Missing, image: BootFiles | undefined): string {
  if (missing.what === 'qemu') return `${missing.file} not found (target ${target.name}): install the Debian package ${missing.package}`;
  if (missing.what === 'firmware') return `firmware ${missing.file} not found (target ${target.name}): install the Debian package ${missing.package ?? 'that provides it'}`;
  return `UEFI firmware ${missing.file} not found (target ${target.name}, ${image?.format}): install the Debian package ${missing.package}`;
}

/** One machine to prepare (`kittest shell`, the API's `boot`). */
interface PrepareRequest {
  /** Folders of vendor target files (`--targets`). */
  readonly targetFolders?: readonly string[];
  /** Target name or alias; default: the first default target. */
  readonly target?: string;
  /** A LinuxKit output prefix or image file (`--image`); default: the target's reference image, built if missing. */
  readonly image?: string;
  readonly format?: string;
  /** `auto` (default), `kvm` or `tcg`, checked and refused as `accelName`. */
  readonly accel?: string;
  readonly accelName?: string;
  /**
   * What must be writable for the target (a console log), refused as soon as the target is known:
   * before planning when no image is given (planning may build for minutes), and with the planned target.
   */
  readonly requireOutputs?: (target: Target) => void;
}

interface PreparedBoot {
  readonly target: Target;
  readonly image: BootFiles;
  readonly accel: AccelChoice;
}

/** Targets → image plan → can this host run it → boot-file checks → accelerator, for one machine. */
export async function prepareBoot(request: PrepareRequest): Promise<PreparedBoot> {
  const all = loadAllTargets(request.targetFolders);
  const [first] = selectTargets(all, request.target === undefined ? [] : [request.target]);
  if (!first) throw new UsageError('no target to boot');
  const accelWanted = requireAccel(request.accelName ?? 'accel', request.accel);
  if (!request.image) request.requireOutputs?.(first);
  const [plan] = await planImages([first], all, { image: request.image, format: request.format }, request.target !== undefined);
  request.requireOutputs?.(plan!.target);
  const { target, image } = plan!;
  requireHostCanRun([{ target, image }]);
  await checkBootFiles(image);
  return { target, image, accel: await detectAccel(target, accelWanted) };
}
