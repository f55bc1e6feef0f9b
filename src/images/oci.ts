// How init runs containers: the OCI runtime spec (config.json) of every onboot container and
// service, in LinuxKit's layout (/containers/onboot/NNN-NAME/, /containers/services/NAME/, each
// with config.json and rootfs), and the generated /etc/kittest/boot.sh that init sources.
import type { ContainerSpec, ImageDefinition } from './definition.ts';
import { capabilityBits } from '../util/capabilities.ts';
import { shellArg } from '../util/shell-quote.ts';

const path = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Capabilities every container gets (the usual container runtime default set). */
const defaultCapabilities = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** Bind entries SOURCE:DESTINATION[:ro] split up. */
function parseBinds(binds: readonly string[] = []): { source: string; destination: string; readonly: boolean }[] {
  return binds.map((bind) => {
    const [source = '', destination = '', flag] = bind.split(':');
    return { source, destination, readonly: flag === 'ro' };
  });
}

/** The capabilities a container gets: all when privileged, else the default set plus its own (its own alone with onlyCapabilities). */
function containerCapabilities(container: ContainerSpec): string[] {
  if (container.privileged) return [...capabilityBits];
  if (container.onlyCapabilities) return [...new Set(container.capabilities ?? [])];
  return [...new Set([...defaultCapabilities, ...(container.capabilities ?? [])])];
}

/**
 * OCI runtime spec of a container, as `linuxkit build` writes it: root `rootfs` beside config.json,
 * a new mount namespace always, the other namespaces new unless the definition shares the host's.
 * Onboot containers run with `runc run --bundle DIR`; services are started from theirs under
 * containerd (`place` gives a service its cgroup and the shim group all services share).
 */
export function containerSpec(container: ContainerSpec, place?: { readonly namespace: string }): object {
  const privileged = container.privileged ?? false;
  const caps = containerCapabilities(container);
  const mounts: object[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    privileged
      ? { destination: '/dev', type: 'bind', source: '/dev', options: ['rbind', 'rw'] }
      : { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', privileged ? 'rw' : 'ro'] },
    { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=755'] },
    { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] },
  ];
  if (container.net === 'host') {
    mounts.push({ destination: '/etc/hosts', type: 'bind', source: '/etc/hosts', options: ['rbind', 'ro'] });
    mounts.push({ destination: '/etc/resolv.conf', type: 'bind', source: '/etc/resolv.conf', options: ['rbind', 'ro'] });
  }
  for (const bind of parseBinds(container.binds)) {
    mounts.push({ destination: bind.destination, type: 'bind', source: bind.source, options: ['rbind', bind.readonly ? 'ro' : 'rw'] });
  }
  const namespaces = [{ type: 'mount' }];
  if (container.ipc !== 'host') namespaces.push({ type: 'ipc' });
  if (container.uts !== 'host') namespaces.push({ type: 'uts' });
  if (container.pid !== 'host') namespaces.push({ type: 'pid' });
  if (container.net !== 'host') namespaces.push({ type: 'network' });
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: container.command,
      env: [path, 'TERM=linux', ...(container.env ?? [])],
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: !privileged,
    },
    root: { path: 'rootfs', readonly: true },
    ...(container.uts === 'host' ? {} : { hostname: container.name }),
    mounts,
    // One shim for every service (containerd's runc.v2 grouping): each further service starts no
    // shim daemon of its own, a Go program that takes a second or more to start under emulation.
    ...(place ? { annotations: { 'io.containerd.runc.v2.group': serviceShimGroup } } : {}),
    linux: {
      ...(place ? { cgroupsPath: `/${place.namespace}/${container.name}` } : {}),
      namespaces,
      resources: { devices: [{ allow: privileged, access: 'rwm' }] },
      ...(privileged
        ? {}
        : {
            maskedPaths: ['/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/sched_debug', '/sys/firmware'],
            readonlyPaths: container.readonlyPaths ?? ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
          }),
    },
  };
}

/** The runc.v2 shim group all services share. */
const serviceShimGroup = 'services';


/** Where a container's bundle lives in the image. */
export function onbootBundle(index: number, name: string): string {
  return `/containers/onboot/${String(index).padStart(3, '0')}-${name}`;
}

/** Where a service's declaration (config.json) and rootfs live in the image. */
export function serviceBundle(name: string): string {
  return `/containers/services/${name}`;
}

/** The text of /etc/kittest/boot.sh, sourced by /init: settings plus onboot_all and services_all. */
export function bootScript(def: ImageDefinition, target: string, modules: readonly string[]): string {
  const q = (words: readonly string[]): string => words.map(shellArg).join(' ');
  const bindSources = [...def.onboot, ...def.services].flatMap((c) => parseBinds(c.binds).map((b) => b.source));
  const onboot = def.onboot.map((c, i) =>
    c.runtime === 'host' ? `  run_onboot ${q([c.name, ...c.command])}` : `  run_onboot ${q([c.name, 'runc', 'run', ...(c.keep === false ? [] : ['--keep']), '--bundle', onbootBundle(i, c.name), c.name])}`,
  );
  // Services in containers are started from their declarations (init's start_declared_services).
  const services = def.services.flatMap((c) =>
    c.runtime === 'host' ? [`  start_host_service ${q([c.name, ...c.command])}`] : c.startPrivileged ? [`  start_privileged_service ${q([c.name, ...c.command])}`] : [],
  );
  const privileged = def.services.filter((c) => c.runtime !== 'host' && c.startPrivileged).map((c) => c.name);
  return [
    `# Generated by kittest from ${def.name} for ${target}: settings and containers for /init.`,
    `IMAGE_NAME=${shellArg(def.name)}`,
    `IMAGE_TARGET=${shellArg(target)}`,
    `READONLY_ROOT=${def.init.readonlyRoot ? 1 : 0}`,
    `TMPFS_DIRS=${shellArg(def.init.tmpfs.join(' '))}`,
    `MODULES=${shellArg(modules.join(' '))}`,
    `CONTAINERD_START=${def.containerd.start ? 1 : 0}`,
    `CONTAINERD_NAMESPACE=${shellArg(def.containerd.namespace)}`,
    `CONSOLE_SERVICE=${shellArg(def.services.some((s) => s.name === def.init.consoleService && s.runtime !== 'host') ? (def.init.consoleService ?? '') : '')}`,
    `BIND_SOURCES=${shellArg([...new Set(bindSources)].join(' '))}`,
    `PRIVILEGED_START=${shellArg(privileged.join(' '))}`,
    '',
    'onboot_all() {',
    ...onboot,
    '  :',
    '}',
    '',
    'services_all() {',
    '  start_declared_services',
    ...services,
    '  :',
    '}',
    '',
  ].join('\n');
}
