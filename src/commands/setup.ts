// kittest setup [--arch A[,B...]|all] [--dry-run]: install the Debian packages the chosen targets
// need (QEMU, firmware) and the image-building tools; the list is scripts/host-packages.mjs, the
// same one a clone's scripts/setup.mjs uses.
import { aptInstall, aptInstallCommand, hostPackages, installedPackages } from '../../scripts/host-packages.mjs';
import { loadAllTargets, selectTargets } from '../config/targets.ts';
import { ExitCode, HostError } from '../errors.ts';

/** What setup asks of the host; tests replace it (they run as root, on a host with everything installed). */
export interface SetupHost {
  isRoot(): boolean;
  /** The installed ones among `names`, or undefined without dpkg. */
  installed(names: readonly string[]): Set<string> | undefined;
  /** Install; resolves with a one-line problem, or undefined. */
  install(names: readonly string[]): string | undefined;
  out(line: string): void;
}

const realHost: SetupHost = {
  isRoot: () => process.getuid?.() === 0,
  installed: installedPackages,
  install: aptInstall,
  out: (line) => process.stdout.write(`${line}\n`),
};

export async function setupCommand(values: Record<string, unknown>, _positionals: string[] = [], host: SetupHost = realHost): Promise<number> {
  const arch = typeof values.arch === 'string' ? values.arch.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  const all = loadAllTargets(values.targets as string[] | undefined);
  const targets = selectTargets(all, arch);
  const wanted = hostPackages(targets);
  const names = [...wanted.keys()];
  const installed = host.installed(names);
  if (!installed) throw new HostError('setup: dpkg-query not found: kittest setup needs a Debian-based host (install QEMU and its firmware by hand)');
  const missing = names.filter((n) => !installed.has(n));
  const scope = targets.map((t) => t.name).join(', ');
  if (missing.length === 0) {
    host.out(`kittest setup: every host package for ${scope} is installed`);
    return ExitCode.ok;
  }
  if (values['dry-run']) {
    for (const name of missing) host.out(`# ${name}: ${wanted.get(name)}`);
    host.out(aptInstallCommand(missing));
    return ExitCode.ok;
  }
  if (!host.isRoot()) throw new HostError(`setup: installing packages needs root; run: sudo ${aptInstallCommand(missing)}`);
  host.out(`kittest setup: installing ${missing.join(' ')}`);
  const problem = host.install(missing);
  if (problem) throw new HostError(`setup: ${problem}`);
  const still = names.filter((n) => !host.installed(names)?.has(n));
  if (still.length) throw new HostError(`setup: still missing after apt-get install: ${still.join(' ')}`);
  host.out(`kittest setup: every host package for ${scope} is installed`);
  return ExitCode.ok;
}
