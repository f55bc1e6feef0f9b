// Every LinuxKit output format, converted from a built kernel+initrd image (no package is rebuilt).
// Each format is made once (buildOnce: under a lock, in a temporary folder beside its final place,
// renamed in when complete), so a failed or interrupted build leaves nothing half-written and a
// second call, from this process or another, is a cache hit.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HostError, UsageError } from '../../errors.ts';
import { buildOnce } from '../../util/build-once.ts';
import type { BootFormat } from '../../config/boot-formats.ts';
import type { BuiltImage } from '../builder.ts';
import { readManifest } from '../manifest.ts';
import { stableJson } from '../merge.ts';
import { formatsFor, outputFiles } from './applicable.ts';
import { consoleDevice } from './console-device.ts';
import { imageName, type FormatContext } from './context.ts';
import { buildIso } from './iso.ts';
import { buildKernelRoot } from './kernel-root.ts';
import { loaderInit } from './loader.ts';
import { buildQcow2, buildRaw } from './raw.ts';
import { sha256Hex } from '../../util/sha256.ts';

export { formatsFor, parseFormats } from './applicable.ts';

interface FormatResult {
  path: string;
  cached: boolean;
  sizeBytes: number;
}

const isKernelFormat = (format: BootFormat): boolean => format.startsWith('kernel+');

/** Bumped whenever a format builder's output changes for the same inputs. */
const formatBuilderVersion = '1';

/** What a format bakes in besides the image it is made from. */
export interface FormatFacts {
  /** The image's cache key (its manifest's `key`). */
  imageKey: string;
  /** The target's console device: boot loader configs append `console=` with it. */
  console: string;
  /** sha256 of images/files/loader-init, the /init of the kernel+squashfs/erofs loader. */
  loaderInit: string;
}

/** The inputs of one format's output: only the facts that format uses, so a change rebuilds exactly the formats it affects. */
function formatInputs(format: BootFormat, facts: FormatFacts): Record<string, string> {
  const inputs: Record<string, string> = { formatBuilderVersion, format, image: facts.imageKey };
  if (isKernelFormat(format)) inputs.loaderInit = facts.loaderInit;
  else inputs.console = facts.console;
  return inputs;
}

/** sha256 (hex) of a format's inputs; kept in its folder (`keyFile`) so that a changed input rebuilds it. */
export function formatKey(format: BootFormat, facts: FormatFacts): string {
  return sha256Hex(stableJson(formatInputs(format, facts)));
}

/** The file in a format's folder naming the key (and inputs) it was made from. */
export const keyFile = 'format-key.json';

function factsOf(image: BuiltImage, imageKey: string): FormatFacts {
  return { imageKey, console: consoleDevice(image.target), loaderInit: sha256Hex(readFileSync(loaderInit)) };
}

/** The folder a format of `image` lives in. */
function formatDir(image: BuiltImage, format: BootFormat): string {
  return join(dirname(image.prefix), 'formats', format);
}

function result(dir: string, format: BootFormat, name: string, cached: boolean): FormatResult {
  const files = outputFiles(format, name);
  const sizeBytes = files.filter((f) => !f.endsWith('-cmdline')).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
  return { path: isKernelFormat(format) ? join(dir, name) : join(dir, files[0]!), cached, sizeBytes };
}

/** Whether `dir` holds every output of `format` and was made from the inputs whose key is `key`. */
export function formatComplete(dir: string, format: BootFormat, name: string, key: string): boolean {
  if (!outputFiles(format, name).every((f) => existsSync(join(dir, f)))) return false;
  try {
    return (JSON.parse(readFileSync(join(dir, keyFile), 'utf8')) as { key?: unknown }).key === key;
  } catch {
    return false;
  }
}

async function make(ctx: FormatContext, format: BootFormat): Promise<void> {
  switch (format) {
    case 'kernel+squashfs':
      return buildKernelRoot(ctx, 'squashfs');
    case 'kernel+erofs':
      return buildKernelRoot(ctx, 'erofs');
    case 'iso-bios':
      return buildIso(ctx, 'bios');
    case 'iso-efi':
      return buildIso(ctx, 'efi');
    case 'raw-bios':
      return buildRaw(ctx, 'bios');
    case 'raw-efi':
      return buildRaw(ctx, 'efi');
    case 'qcow2-bios':
    case 'qcow2-efi': {
      const raw = await ensureFormat(ctx.image, format === 'qcow2-bios' ? 'raw-bios' : 'raw-efi', ctx.log);
      return buildQcow2(ctx, raw.path, outputFiles(format, ctx.name)[0]!);
    }
    case 'kernel+initrd':
      return;
  }
}

/** Make (or find in the cache) `format` of a built image. Returns the path to hand to
 *  `kittest run --image`: the prefix for kernel+* formats, the file for the others. */
export function ensureFormat(image: BuiltImage, format: BootFormat, log: (line: string) => void = () => {}): Promise<FormatResult> {
  // Callers in one process (tests, qcow2 over raw) asking for the same output share one build.
  const key = formatDir(image, format);
  let pending = inFlight.get(key);
  if (!pending) {
    pending = makeFormat(image, format, log).finally(() => inFlight.delete(key));
    inFlight.set(key, pending);
  }
  return pending;
}

const inFlight = new Map<string, Promise<FormatResult>>();

async function makeFormat(image: BuiltImage, format: BootFormat, log: (line: string) => void): Promise<FormatResult> {
  const possible = formatsFor(image.target);
  if (!possible.includes(format)) throw new UsageError(`format ${format} cannot be made for ${image.target} (possible: ${possible.join(', ')})`);
  if (format === 'kernel+initrd') return { path: image.prefix, cached: true, sizeBytes: image.sizeBytes };
  const name = imageName(image);
  const finalDir = formatDir(image, format);
  const manifest = readManifest(image.manifestPath);
  const facts = factsOf(image, manifest.key);
  const key = formatKey(format, facts);
  try {
    const cached = await buildOnce(
      finalDir,
      (dir) => formatComplete(dir, format, name, key),
      async ({ out, scratch }) => {
        await make({ image, manifest, name, out, scratch, log }, format);
        writeFileSync(join(out, keyFile), `${JSON.stringify({ key, inputs: formatInputs(format, facts) }, null, 2)}\n`);
      },
      (holder) => log(`waiting for ${holder}, which is making ${format} of ${name} too`),
    );
    return result(finalDir, format, name, cached);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOSPC') throw new HostError(`disk full while making ${format} of ${image.prefix} in ${dirname(finalDir)}`);
    throw error;
  }
}
