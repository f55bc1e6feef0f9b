// Every built-in check, each declared in one module (name, settings with defaults and schema, judge).
import type { CheckModule } from '../check.ts';
import { bootCheck } from './boot.ts';
import { containerdCheck } from './containerd.ts';
import { dhcpCheck } from './dhcp.ts';
import { rngCheck } from './rng.ts';
import { rootfsImmutableCheck } from './rootfs-immutable.ts';
import { runcCheck } from './runc.ts';
import { scriptCheck } from './script.ts';
import { servicesDeclaredCheck } from './services-declared.ts';
import { servicesIsolatedCheck } from './services-isolated.ts';

// The settings of each are typed in its own module; here they are handled as data.
export const checkModules: readonly CheckModule<any>[] = [bootCheck, containerdCheck, runcCheck, dhcpCheck, rngCheck, rootfsImmutableCheck, servicesIsolatedCheck, servicesDeclaredCheck, scriptCheck];

/** The check a case's `check:` names (the case schema allows only these names). */
export function checkNamed(name: string): CheckModule<any> {
  const found = checkModules.find((m) => m.name === name);
  if (!found) throw new Error(`no built-in check named ${name}`);
  return found;
}
