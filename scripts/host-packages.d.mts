// Types of host-packages.mjs for the TypeScript side (kittest setup).
export interface PackageTarget {
  readonly name: string;
  readonly qemu: { readonly package: string; readonly firmwarePackage?: string };
  readonly efi?: { readonly package: string };
}
export declare const imageTools: Readonly<Record<string, string>>;
export declare const testTools: Readonly<Record<string, string>>;
export declare function hostPackages(targets: readonly PackageTarget[], options?: { tests?: boolean }): Map<string, string>;
export declare function aptInstallCommand(names: readonly string[]): string;
export declare function installedPackages(names: readonly string[]): Set<string> | undefined;
export declare function aptInstall(names: readonly string[]): string | undefined;
