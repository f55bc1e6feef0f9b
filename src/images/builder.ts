// Building one image for one target: plan packages, reuse the cache when the key matches,
// else assemble the root in a temporary directory and move the finished outputs in place (buildOnce).
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { displayPath } from '../config/load-yaml.ts';
import { cacheDir } from '../config/paths.ts';
import { ConfigError, HostError } from '../errors.ts';
import { buildOnce } from '../util/build-once.ts';
import { builderVersion, cacheKey } from './cache-key.ts';
import { chooseCompression, chooseInitramfsCompression, compressFile, readKernelConfig, shrinkKernel } from './compress.ts';
import { S_IFCHR } from './cpio.ts';
import { writeCpioFromTree } from './cpio.ts';
import { extractDeb, installPackageFiles } from './deb.ts';
import { loadDefinition, packageFor, type ContainerSpec, type ImageDefinition } from './definition.ts';
import { checkLibraries } from './elf.ts';
import { describeOutput, readManifest, type ImageManifest } from './manifest.ts';
import { installModules } from './modules.ts';
import { bootScript, containerSpec, onbootBundle, serviceBundle } from './oci.ts';
import { fetchedBefore, fetchPackages, newestSelection, planPackages, recordFetched, selectionLines, type FetchedPackage } from './packages.ts';
import { linkBusyboxApplets, makeSkeleton, removePaths, writeFiles } from './rootfs.ts';
import { joinInRoot } from './root-paths.ts';
import { findTarget, type ImageTarget } from '../config/targets.ts';

/** A built image on disk. Files are PREFIX-kernel, PREFIX-initrd.img, PREFIX-cmdline. */
export interface BuiltImage {
  target: string;
  definition: string;
  /** Absolute path prefix of the output files. */
  prefix: string;
  manifestPath: string;
  /** Kernel + initrd (+ squashfs) in bytes. */
  sizeBytes: number;
  cached: boolean;
}

function builtImage(dir: string, manifest: ImageManifest, cached: boolean): BuiltImage {
  return { target: manifest.target, definition: manifest.definition, prefix: join(dir, manifest.name), manifestPath: join(dir, 'manifest.json'), sizeBytes: manifest.sizeBytes, cached };
}

/** The cache folder of the image of `def` on `target` whose cache key is `key`. */
function imageDir(def: ImageDefinition, target: ImageTarget, key: string): string {
  return join(cacheDir(), 'images', target.name, `${def.name}-${key.slice(0, 12)}`);
}

/** Return the image for `definitionFile` on `targetName`, building it unless the cache has it. */
export async function ensureImage(definitionFile: string, targetName: string, log: (line: string) => void = () => {}): Promise<BuiltImage> {
  const def = loadDefinition(definitionFile);
  const target = findTarget(targetName);
  if (def.format !== 'kernel+initrd') throw new ConfigError(displayPath(def.file), `format ${def.format} is not supported by this builder yet (use kernel+initrd)`);
  const plan = await planPackages(def, target, log);
  // Look up the key of what was fetched for this plan before (else of the newest indexed versions):
  // a hit needs no download. Whatever is built is keyed by the .debs really fetched.
  const expected = imageDir(def, target, cacheKey(def, target, fetchedBefore(plan) ?? selectionLines(newestSelection(plan))));
  if (existsSync(join(expected, 'manifest.json'))) return builtImage(expected, readManifest(join(expected, 'manifest.json')), true);

  const started = Date.now();
  log(`building ${def.name} for ${target.name}`);
  const fetched = await fetchPackages(def, target, plan, log);
  const packages = selectionLines(fetched);
  recordFetched(plan, packages);
  const key = cacheKey(def, target, packages);
  const finalDir = imageDir(def, target, key);
  const manifestPath = join(finalDir, 'manifest.json');
  try {
    const cached = await buildOnce(
      finalDir,
      (dir) => existsSync(join(dir, 'manifest.json')),
      async ({ out, scratch }) => {
        const manifest = await assemble(def, target, key, fetched, scratch, out, log);
        manifest.buildSeconds = Math.round((Date.now() - started) / 100) / 10;
        writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      },
      (holder) => log(`waiting for ${holder}, which is building ${def.name} for ${target.name} too`),
    );
    return builtImage(finalDir, readManifest(manifestPath), cached);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOSPC') throw new HostError(`disk full while building ${def.name} for ${target.name} in ${cacheDir()}`);
    throw error;
  }
}

async function assemble(
  def: ImageDefinition,
  target: ImageTarget,
  key: string,
  fetched: { packages: Map<string, FetchedPackage>; kernel: FetchedPackage },
  tmpDir: string,
  outDir: string,
  log: (line: string) => void,
): Promise<ImageManifest> {
  const extracted = new Map<string, string>();
  const extract = async (name: string): Promise<string> => {
    let dir = extracted.get(name);
    if (!dir) {
      dir = join(tmpDir, 'debs', name);
      await extractDeb(fetched.packages.get(name)!.path, dir);
      extracted.set(name, dir);
    }
    return dir;
  };
  const install = async (root: string, entries: ContainerSpec['packages']): Promise<void> => {
    for (const entry of entries ?? []) {
      const choice = packageFor(entry, target.name);
      const copied = installPackageFiles(await extract(choice.name), root, choice);
      if (copied.length === 0) throw new ConfigError(displayPath(def.file), `package ${choice.name} has no file matching its include list on ${target.name}`);
    }
  };

  const root = join(tmpDir, 'root');
  makeSkeleton(root, 'host');
  await install(root, [...def.init.packages, ...def.containerd.packages]);

  const kernelTree = join(tmpDir, 'kernel');
  await extractDeb(fetched.kernel.path, kernelTree);
  const modules = await installModules(kernelTree, root, def.kernel.modules);
  if (modules.missing.length) log(`kernel ${modules.kernelVersion} has no module ${modules.missing.join(', ')} (skipped)`);

  const containerRoots: string[] = [];
  const addContainer = async (container: ContainerSpec, rootfs: string): Promise<void> => {
    if (container.runtime === 'host') {
      await install(root, container.packages);
      writeFiles(root, container.files ?? []);
      return;
    }
    makeSkeleton(rootfs, 'container');
    await install(rootfs, container.packages);
    writeFiles(rootfs, container.files ?? []);
    linkBusyboxApplets(rootfs);
    containerRoots.push(rootfs);
  };
  for (const [index, container] of def.onboot.entries()) {
    const bundle = onbootBundle(index, container.name);
    await addContainer(container, joinInRoot(root, `${bundle}/rootfs`, { followLast: true }));
    if (container.runtime !== 'host') writeFileSync(joinInRoot(root, `${bundle}/config.json`, { followLast: true }), `${JSON.stringify(containerSpec(container), null, 2)}\n`);
  }
  for (const container of def.services) {
    const bundle = serviceBundle(container.name);
    await addContainer(container, joinInRoot(root, `${bundle}/rootfs`, { followLast: true }));
    const spec = containerSpec(container, { namespace: def.containerd.namespace });
    if (container.runtime !== 'host') writeFileSync(joinInRoot(root, `${bundle}/config.json`, { followLast: true }), `${JSON.stringify(spec, null, 2)}\n`);
  }

  writeFiles(root, def.files);
  const bootFile = joinInRoot(root, 'etc/kittest/boot.sh', { followLast: true });
  mkdirSync(dirname(bootFile), { recursive: true });
  writeFileSync(bootFile, bootScript(def, target.name, modules.load));
  linkBusyboxApplets(root);
  const removed = removePaths(root, def.remove);
  if (removed.length) log(`removed ${removed.join(', ')}`);

  const problems = [...checkLibraries(root, ['containers']), ...containerRoots.flatMap((r) => checkLibraries(r).map((p) => `${r.slice(root.length)}: ${p}`))];
  if (problems.length) {
    throw new ConfigError(displayPath(def.file), `the ${target.name} image would not run: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}; add the package that has it`);
  }

  log('writing the initramfs');
  const cpioFile = join(tmpDir, 'initrd.cpio');
  writeCpioFromTree(root, cpioFile, [
    { path: 'dev/console', mode: S_IFCHR | 0o600, rdev: { major: 5, minor: 1 } },
    { path: 'dev/null', mode: S_IFCHR | 0o666, rdev: { major: 1, minor: 3 } },
  ]);
  const configFile = readdirSync(join(kernelTree, 'boot')).find((f) => f.startsWith('config-'));
  const kernelConfig = readKernelConfig(configFile && join(kernelTree, 'boot', configFile));
  const rootCompression = chooseCompression(kernelConfig);
  const prefix = join(outDir, def.name);
  // lz4, not zstd: under emulation the kernel's decompressor is what the initramfs costs. riscv64
  // unpacked the zstd one in 12-21 s, the lz4 one in 3.9 s and a plain cpio in 0.45 s; zstd took
  // 1.5-3.5 s on the other targets. lz4 files are 1.3 times zstd's (a plain cpio 3.1 times).
  const compression = chooseInitramfsCompression(kernelConfig);
  await compressFile(compression, cpioFile, `${prefix}-initrd.img`);
  const vmlinuz = readdirSync(join(kernelTree, 'boot')).find((f) => /^(vmlinuz|vmlinux|Image)-/.test(f));
  if (!vmlinuz) throw new HostError(`kernel package ${fetched.kernel.candidate.name} has no /boot/vmlinuz-*`);
  copyFileSync(join(kernelTree, 'boot', vmlinuz), `${prefix}-kernel`);
  if (await shrinkKernel(`${prefix}-kernel`)) log('compressed the uncompressed arm64 kernel Image with gzip');
  const cmdline = def.kernel.cmdline.join(' ');
  writeFileSync(`${prefix}-cmdline`, cmdline);

  const outputs = { kernel: describeOutput(`${prefix}-kernel`), initrd: describeOutput(`${prefix}-initrd.img`), cmdline: describeOutput(`${prefix}-cmdline`) };
  const all = [...fetched.packages.values(), fetched.kernel];
  return {
    schemaVersion: 1,
    name: def.name,
    description: def.description,
    definition: displayPath(def.file),
    target: target.name,
    debianArch: target.debianArch,
    suite: def.suite,
    format: def.format,
    key,
    builderVersion,
    kernelVersion: modules.kernelVersion,
    compression,
    rootCompression,
    cmdline,
    modules: { loaded: modules.load.map((m) => m.replace(/^.*\//, '')), builtin: modules.builtin, missing: modules.missing },
    packages: all.map((p) => ({ name: p.candidate.name, version: p.candidate.version, arch: p.candidate.arch, sha256: p.candidate.sha256, from: p.candidate.baseUrl })),
    outputs,
    sizeBytes: outputs.kernel.size + outputs.initrd.size,
    buildSeconds: 0,
    builtAt: new Date().toISOString(),
  };
}
