// Which image each target boots: the one given (--image, --format), checked against the target's
// kernel architecture and formats, or the reference image built (and converted) on demand.
import { dirname, join, resolve } from 'node:path';
import { displayPath } from '../config/load-yaml.ts';
import { imagesDir, targetsDir } from '../config/paths.ts';
import type { Target } from '../config/targets.ts';
import { UsageError } from '../errors.ts';
import { bootFormats, isBootFormat, type BootFormat } from '../config/boot-formats.ts';
import { detectBootFiles, type BootFiles } from './boot-files.ts';
import { kernelArchOfFile } from './kernel-arch.ts';

export interface ImagePlan {
  readonly target: Target;
  readonly image: BootFiles;
  readonly kernelArch?: string;
}

/** The one default target (else any target) that boots `format`, for images whose kernel cannot be read. */
function targetForFormat(all: readonly Target[], image: BootFiles): Target {
  const able = all.filter((t) => t.formats.includes(image.format));
  const defaults = able.filter((t) => t.default);
  const only = defaults.length === 1 ? defaults[0] : able.length === 1 ? able[0] : undefined;
  if (only) return only;
  if (able.length === 0) throw new UsageError(`no target boots ${image.format} images (${image.prefix})`);
  throw new UsageError(`cannot tell the architecture of ${image.prefix} (${image.format} boots on ${able.map((t) => t.name).join(', ')}): pass --arch`);
}

/** Refuse, in one line, a format the target cannot boot (an ISO on s390x). */
export function requireFormat(target: Target, image: BootFiles): void {
  if (!target.formats.includes(image.format)) {
    throw new UsageError(`${image.format} images cannot boot on ${target.name} (${image.prefix}); ${target.name} boots ${target.formats.join(', ')}`);
  }
}

function parseFormat(text: string | undefined): BootFormat | undefined {
  if (text === undefined) return undefined;
  if (!isBootFormat(text)) throw new UsageError(`--format must be one of ${bootFormats.join(', ')}, got "${text}"`);
  return text;
}

/** Pair each target with the image it boots: --image (checked against the kernel's arch) or the reference image. */
export async function planImages(targets: readonly Target[], all: readonly Target[], options: { image?: string; format?: string }, archGiven: boolean): Promise<ImagePlan[]> {
  const format = parseFormat(options.format);
  if (options.image) {
    const image = detectBootFiles(resolve(options.image), format);
    const kernelArch = image.kernel ? kernelArchOfFile(image.kernel) : undefined;
    let picked = targets;
    if (!archGiven) {
      if (image.kernel && !kernelArch) throw new UsageError(`cannot tell the architecture of ${image.kernel}: pass --arch`);
      const match = kernelArch ? (all.find((t) => t.kernelArch === kernelArch && t.default) ?? all.find((t) => t.kernelArch === kernelArch)) : targetForFormat(all, image);
      if (!match) throw new UsageError(`${image.kernel} is a ${kernelArch} kernel and no target runs ${kernelArch}`);
      picked = [match];
    }
    for (const target of picked) {
      if (kernelArch && kernelArch !== target.kernelArch) {
        throw new UsageError(`${image.kernel} is a kernel for ${kernelArch}, not for target ${target.name}`);
      }
      requireFormat(target, image);
    }
    return picked.map((target) => ({ target, image, kernelArch }));
  }
  // The reference image, in the asked format (made from the kernel+initrd build with Debian tools).
  if (format) for (const target of targets) requireFormat(target, { format, prefix: `the reference image`, cmdline: '', files: [] });
  const { ensureImage } = await import('./builder.ts');
  const { ensureFormat } = await import('./formats/index.ts');
  const plans: ImagePlan[] = [];
  for (const target of targets) {
    if (!target.extends && resolve(dirname(target.file)) !== resolve(targetsDir)) {
      throw new UsageError(`target ${target.name} (${displayPath(target.file)}) has no reference image: kittest builds them for the built-in targets only; give --image, or make it extend a built-in target`);
    }
    const log = (line: string) => process.stderr.write(`${line}\n`);
    // A vendor's machine variant boots the reference image of the built-in target it extends.
    const built = await ensureImage(join(imagesDir, 'reference.yml'), target.imageTarget, log);
    const path = format && format !== 'kernel+initrd' ? (await ensureFormat(built, format, log)).path : built.prefix;
    const image = detectBootFiles(path, format);
    plans.push({ target, image, kernelArch: image.kernel ? kernelArchOfFile(image.kernel) : undefined });
  }
  return plans;
}

