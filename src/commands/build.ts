// kittest build [--arch A[,B...]|all] [--image FILE] [--format F[,F...]|all]: build (or find in the
// cache) the reference image or a given definition for some architectures, and their formats.
import { resolve } from 'node:path';
import { ensureImage, type BuiltImage } from '../images/builder.ts';
import { referenceDefinition } from '../images/definition.ts';
import { findTarget, listTargets } from '../config/targets.ts';
import { ensureFormat, parseFormats } from '../images/formats/index.ts';
import { requirePrintablePath } from '../util/path-options.ts';

interface BuildOptions {
  /** Target names or aliases; 'all' or nothing: every target in targets/. */
  arch?: string[] | 'all';
  /** Image definition file; default images/reference.yml. */
  image?: string;
  /** No progress lines, only the one result line per image. */
  quiet?: boolean;
  /** LinuxKit output formats to make from each built image ("F[,F...]" or "all"); one line per output. */
  format?: string;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Build the requested images one after another, printing one line per image with its size. */
async function build(options: BuildOptions = {}): Promise<BuiltImage[]> {
  const definition = resolve(options.image ?? referenceDefinition);
  const targets = options.arch === undefined || options.arch === 'all' || options.arch.length === 0 ? listTargets() : options.arch.map((name) => findTarget(name));
  // Check every --format against every target before building anything: a typo is a usage error, not a late failure.
  const formats = new Map(targets.map((t) => [t.name, options.format === undefined ? [] : parseFormats(options.format, t.name)]));
  const results: BuiltImage[] = [];
  for (const target of targets) {
    const started = Date.now();
    const log = options.quiet ? undefined : (line: string): void => console.error(`  ${target.name}: ${line}`);
    const image = await ensureImage(definition, target.name, log);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`${target.name.padEnd(8)} ${megabytes(image.sizeBytes).padStart(9)}  ${image.prefix}  (${image.cached ? 'cached' : `built in ${seconds} s`})`);
    results.push(image);
    for (const format of formats.get(target.name)!) {
      if (format === 'kernel+initrd') continue; // the line above
      const formatStarted = Date.now();
      const made = await ensureFormat(image, format, log);
      const took = ((Date.now() - formatStarted) / 1000).toFixed(1);
      console.log(`${target.name.padEnd(8)} ${megabytes(made.sizeBytes).padStart(9)}  ${made.path}  (${format}, ${made.cached ? 'cached' : `made in ${took} s`})`);
    }
  }
  return results;
}

/** Build the images; one line per image with its size. */
export async function buildCommand(values: Record<string, unknown>): Promise<number> {
  if (typeof values.image === 'string') requirePrintablePath('--image', values.image);
  const arch = typeof values.arch === 'string' ? values.arch.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  await build({ arch: !arch || arch.includes('all') ? 'all' : arch, image: typeof values.image === 'string' ? values.image : undefined, format: typeof values.format === 'string' ? values.format : undefined });
  return 0;
}
