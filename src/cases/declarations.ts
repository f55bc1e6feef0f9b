// What a service's declaration may say, independent of where it was read: the image's config.json
// (an OCI spec) or, on the host, the linuxkit.yml that built the image.

/** Capability names by their bit in CapEff (Linux 6.x). */
export const capabilityBits: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK',
  'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE',
  'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** The namespaces a declaration may share with PID 1. */
export type SharableNamespace = 'pid' | 'net' | 'ipc' | 'uts';

/** The host's namespace, a new one, or one named by path (not the host's by declaration). */
export type NamespaceWish = 'host' | 'new' | 'path';

/** A declaration read from linuxkit.yml on the host: only what the file itself sets. */
export interface FileDeclaration {
  readonly kind: 'services' | 'onboot';
  /** The name of its declaration folder: NAME for a service, NNN-NAME for an onboot container. */
  readonly name: string;
  /** The capabilities the file sets (replacing the image label's), when it sets them. */
  readonly capabilities?: readonly string[];
  /** The namespaces the file sets. */
  readonly namespaces: Readonly<Partial<Record<SharableNamespace, NamespaceWish>>>;
  readonly readonly?: boolean;
}

/** The linuxkit.yml that built the image, as the host read it. */
export interface LinuxkitFile {
  /** The file as the user named it (for messages). */
  readonly file: string;
  readonly declarations: readonly FileDeclaration[];
}
