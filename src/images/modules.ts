// Kernel module selection: only the modules an image asks for plus what modules.dep says they need,
// decompressed, with a fresh modules.dep (depmod -b ROOT KVER, which works for foreign kernels too).
import { copyFileSync, existsSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HostError } from '../errors.ts';
import { runChecked } from './exec.ts';
import { compressedSuffix, moduleName, parseModulesDep } from './modules-dep.ts';

interface ModuleSelection {
  kernelVersion: string;
  /** Guest paths (/usr/lib/modules/KVER/...ko) in load order: dependencies first. */
  load: string[];
  /** Requested modules that are built into the kernel. */
  builtin: string[];
  /** Requested modules this kernel does not have at all. */
  missing: string[];
}

/** The module tree (usr/lib/modules or, before the /usr merge, lib/modules) of an extracted kernel package. */
function modulesRoot(extracted: string): string {
  const merged = join(extracted, 'usr/lib/modules');
  return existsSync(merged) ? merged : join(extracted, 'lib/modules');
}

/** The single kernel version directory of an extracted kernel package. */
function kernelVersionOf(extracted: string): string {
  const dir = modulesRoot(extracted);
  const versions = existsSync(dir) ? readdirSync(dir) : [];
  if (versions.length !== 1) throw new HostError(`kernel package has ${versions.length} module trees in ${dir}, expected one`);
  return versions[0]!;
}

async function depmod(root: string, kver: string): Promise<void> {
  // depmod looks in ROOT/lib/modules; usr-merged packages ship usr/lib/modules.
  if (!existsSync(join(root, 'lib'))) symlinkSync('usr/lib', join(root, 'lib'));
  await runChecked('depmod', ['-b', root, kver]);
}

/** Copy `names` and their dependencies from the extracted kernel package into `root` and run depmod there. */
export async function installModules(kernelTree: string, root: string, names: readonly string[]): Promise<ModuleSelection> {
  const kver = kernelVersionOf(kernelTree);
  await depmod(kernelTree, kver);
  const modulesDir = join(modulesRoot(kernelTree), kver);
  const dep = parseModulesDep(readFileSync(join(modulesDir, 'modules.dep'), 'utf8'));
  const builtinText = existsSync(join(modulesDir, 'modules.builtin')) ? readFileSync(join(modulesDir, 'modules.builtin'), 'utf8') : '';
  const builtinNames = new Set(builtinText.split('\n').filter(Boolean).map(moduleName));
  const order: string[] = [];
  const builtin: string[] = [];
  const missing: string[] = [];
  const add = (path: string): void => {
    if (!order.includes(path)) order.push(path);
  };
  for (const requested of names) {
    const name = moduleName(requested);
    const entry = dep.get(name);
    if (!entry) {
      (builtinNames.has(name) ? builtin : missing).push(requested);
      continue;
    }
    // modules.dep lists every (transitive) dependency; the last one must be loaded first.
    for (const d of [...entry.deps].reverse()) add(d);
    add(entry.path);
  }
  const targetDir = join(root, 'usr/lib/modules', kver);
  mkdirSync(targetDir, { recursive: true });
  for (const file of ['modules.builtin', 'modules.builtin.modinfo', 'modules.order']) {
    if (existsSync(join(modulesDir, file))) copyFileSync(join(modulesDir, file), join(targetDir, file));
  }
  const load: string[] = [];
  for (const path of order) {
    const plain = path.replace(compressedSuffix, '');
    const out = join(targetDir, plain);
    mkdirSync(dirname(out), { recursive: true });
    const source = join(modulesDir, path);
    const tool = path.endsWith('.xz') ? 'xz' : path.endsWith('.zst') ? 'zstd' : path.endsWith('.gz') ? 'gzip' : null;
    if (tool) {
      const fd = openSync(out, 'w');
      try {
        await runChecked(tool, ['-dc', source], { stdoutFile: fd });
      } finally {
        closeSync(fd);
      }
    } else copyFileSync(source, out);
    load.push(`/usr/lib/modules/${kver}/${plain}`);
  }
  await depmod(root, kver);
  return { kernelVersion: kver, load, builtin, missing };
}
