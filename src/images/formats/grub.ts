// GRUB for the EFI formats: the host's x86_64-efi modules, or arm64-efi modules taken from the
// Debian grub-efi-arm64-bin .deb (not installable on an amd64 host), run through the host's
// grub-mkstandalone / grub-mkrescue, which build images for any platform they are given.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../../config/paths.ts';
import { HostError } from '../../errors.ts';
import { buildOnce } from '../../util/build-once.ts';
import { DebianArchive } from '../apt.ts';
import { extractDeb } from '../deb.ts';
import { runChecked } from '../exec.ts';
import type { ImageManifest } from '../manifest.ts';
import { hostFile } from './host-files.ts';

interface GrubPlatform {
  /** grub-mkimage -O name. */
  format: 'x86_64-efi' | 'arm64-efi';
  /** Folder of that platform's modules. */
  dir: string;
  /** Removable-media boot file name (EFI/BOOT/...). */
  bootFile: 'BOOTX64.EFI' | 'BOOTAA64.EFI';
}

/** The host's Debian release: its grub-efi-arm64-bin modules match the host's grub-mkimage. */
export function hostSuite(osRelease: string): string | undefined {
  return /^VERSION_CODENAME=("?)(\w+)\1$/m.exec(osRelease)?.[2];
}

/** The Debian mirror an image's packages came from (not the security archive). */
function mirrorOf(manifest: ImageManifest): string {
  return manifest.packages.map((p) => p.from).find((from) => !/-security\/?$/.test(from)) ?? 'http://deb.debian.org/debian';
}

let arm64Fetch: Promise<string> | undefined;

/** The arm64-efi module folder, fetched once per process (concurrent builds share the fetch). */
function arm64Modules(manifest: ImageManifest, log: (line: string) => void): Promise<string> {
  arm64Fetch ??= fetchArm64Modules(manifest, log).catch((error: unknown) => {
    arm64Fetch = undefined; // let a later build try again
    throw error;
  });
  return arm64Fetch;
}

async function fetchArm64Modules(manifest: ImageManifest, log: (line: string) => void): Promise<string> {
  const release = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  const suite = hostSuite(release) ?? manifest.suite;
  const archive = new DebianArchive(join(cacheDir(), 'apt'), mirrorOf(manifest), suite, log);
  const [candidate] = await archive.candidates('grub-efi-arm64-bin', 'arm64');
  const dest = join(cacheDir(), 'grub', `grub-efi-arm64-bin_${candidate!.version.replace(/[^\w.+~-]/g, '_')}`);
  const modules = 'usr/lib/grub/arm64-efi';
  const cached = await buildOnce(
    dest,
    (d) => existsSync(join(d, modules, 'kernel.img')),
    async ({ out }) => {
      const deb = await archive.download(candidate!);
      if (!deb) throw new HostError(`the Debian archive (${suite}) serves no ${candidate!.filename}`);
      await extractDeb(deb, out);
      if (!existsSync(join(out, modules, 'kernel.img'))) throw new HostError(`${deb} has no ${modules}/kernel.img`);
    },
  );
  if (!cached) log(`using GRUB arm64-efi modules from grub-efi-arm64-bin ${candidate!.version} (${suite})`);
  return join(dest, modules);
}

/** The GRUB EFI platform for a target (fetching the arm64 modules once into the cache). */
export async function grubPlatform(target: string, manifest: ImageManifest, log: (line: string) => void): Promise<GrubPlatform> {
  if (target === 'x86_64') return { format: 'x86_64-efi', dir: hostFile('grubX64Efi'), bootFile: 'BOOTX64.EFI' };
  if (target === 'arm64') return { format: 'arm64-efi', dir: await arm64Modules(manifest, log), bootFile: 'BOOTAA64.EFI' };
  throw new HostError(`no GRUB EFI platform for target ${target}`);
}

/** Modules a standalone GRUB needs to find the ESP and boot Linux from it. */
const standaloneModules = ['part_gpt', 'part_msdos', 'fat', 'iso9660', 'search', 'search_fs_file', 'normal', 'configfile', 'linux', 'echo', 'test', 'gzio', 'all_video'];

/** One EFI executable with `grubCfg` embedded as its /boot/grub/grub.cfg. */
export async function mkStandalone(platform: GrubPlatform, grubCfg: string, out: string): Promise<void> {
  const modules = standaloneModules.filter((m) => existsSync(join(platform.dir, `${m}.mod`)));
  await runChecked('grub-mkstandalone', [
    '-O', platform.format,
    '-d', platform.dir,
    '-o', out,
    '--locales=', '--themes=', '--fonts=',
    `--install-modules=${modules.join(' ')}`,
    `--modules=${['part_gpt', 'part_msdos', 'fat'].join(' ')}`,
    `boot/grub/grub.cfg=${grubCfg}`,
  ]);
}

/** A bootable EFI ISO of the folder `tree` (which holds boot/grub/grub.cfg). */
export async function mkRescue(platform: GrubPlatform, tree: string, out: string): Promise<void> {
  await runChecked('grub-mkrescue', ['-d', platform.dir, '-o', out, '--locales=', '--themes=', '--fonts=', tree]);
}
