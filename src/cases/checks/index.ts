// The table of built-in checks, by the name a case's `check:` field uses.
import type { Check } from '../check.ts';
import { containerdCheck } from './containerd.ts';
import { dhcpCheck } from './dhcp.ts';
import { rngCheck } from './rng.ts';
import { rootfsImmutableCheck } from './rootfs-immutable.ts';
import { runcCheck } from './runc.ts';
import { servicesIsolatedCheck } from './services-isolated.ts';

/** Checks that run on a booted machine (`boot` itself is judged by the runner). */
export const checks: Readonly<Record<string, Check>> = {
  containerd: containerdCheck,
  runc: runcCheck,
  dhcp: dhcpCheck,
  rng: rngCheck,
  'rootfs-immutable': rootfsImmutableCheck,
  'services-isolated': servicesIsolatedCheck,
};
