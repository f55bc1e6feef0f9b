// What a service's declaration may say, independent of where it was read: the image's config.json
// (an OCI spec) or, on the host, the linuxkit.yml that built the image.

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
