// Modules the image's root lacks but its kernel package has. The reference root carries only the
// modules its definition asks for, and depmod cannot see soft dependencies: on s390x crc32c is a
// module (crc32c_generic), so libcrc32c, and with it erofs, would not load. The .deb the image
// was built from is still in the apt cache (its sha256 is in the manifest), so take them from it.
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cacheDir } from '../../config/paths.ts';
import { HostError } from '../../errors.ts';
import { decompressFile } from '../compress.ts';
import { extractDeb } from '../deb.ts';
import { runChecked } from '../exec.ts';
import type { ImageManifest } from '../manifest.ts';
import { loadOrder } from './module-order.ts';
import { sha256Hex } from '../../util/sha256.ts';

/** The cached .deb of the image's kernel (linux-image-KVER), checked against the manifest's sha256. */
function kernelDeb(manifest: ImageManifest): string {
  const pkg = manifest.packages.find((p) => p.name === `linux-image-${manifest.kernelVersion}` || p.name === `linux-image-${manifest.kernelVersion}-unsigned`);
  if (!pkg) throw new HostError(`the manifest of ${manifest.name} (${manifest.target}) names no linux-image-${manifest.kernelVersion} package`);
  const file = join(cacheDir(), 'apt', 'debs', `${pkg.name}_${pkg.version.replace(/^\d+:/, '')}_${pkg.arch}.deb`);
  if (!existsSync(file)) throw new HostError(`${file} is not in the cache any more: rebuild the image (kittest build --arch ${manifest.target}) to fetch it`);
  const digest = sha256Hex(readFileSync(file));
  if (digest !== pkg.sha256) throw new HostError(`${file} has sha256 ${digest}, the image manifest says ${pkg.sha256}`);
  return file;
}

/** Copy `names` (and what they depend on) from the kernel package into `modulesDir`, decompressed;
 *  returns their paths relative to it, dependencies first. */
export async function modulesFromKernelPackage(manifest: ImageManifest, names: readonly string[], modulesDir: string, scratch: string): Promise<string[]> {
  const tree = join(scratch, 'kernel-deb');
  await extractDeb(kernelDeb(manifest), tree);
  // modules.dep is made by depmod at install time; depmod -b reads ROOT/lib/modules (usrmerge: usr/lib).
  if (!existsSync(join(tree, 'lib'))) symlinkSync('usr/lib', join(tree, 'lib'));
  const kdir = join(tree, 'lib/modules', manifest.kernelVersion);
  if (!existsSync(kdir)) throw new HostError(`the kernel package of ${manifest.name} has no lib/modules/${manifest.kernelVersion}`);
  await runChecked('depmod', ['-b', tree, manifest.kernelVersion]);
  const read = (f: string): string => (existsSync(join(kdir, f)) ? readFileSync(join(kdir, f), 'utf8') : '');
  // modules.dep of the package names compressed files (.ko.xz); the loader's busybox insmod wants plain .ko.
  const { order, missing } = loadOrder({ dep: read('modules.dep'), softdep: read('modules.softdep'), builtin: read('modules.builtin').split('\n').filter(Boolean) }, names);
  if (missing.length) throw new HostError(`the kernel package of ${manifest.name} has no module ${missing.join(', ')}`);
  const result: string[] = [];
  for (const path of order) {
    const plain = path.replace(/\.(xz|zst|gz)$/, '');
    const dest = join(modulesDir, plain);
    mkdirSync(dirname(dest), { recursive: true });
    if (plain === path) copyFileSync(join(kdir, path), dest);
    else await decompressFile(path.endsWith('.xz') ? 'xz' : path.endsWith('.zst') ? 'zstd' : 'gzip', join(kdir, path), dest);
    result.push(plain);
  }
  return result;
}
