// The LinuxKit boot formats kittest knows how to start: named by targets (the formats a machine
// boots), by image plans (--format) and by the boot-file detection of src/images.

/** Boot formats kittest knows how to start. */
export const bootFormats = [
  'kernel+initrd',
  'kernel+squashfs',
  'kernel+erofs',
  'iso-bios',
  'iso-efi',
  'raw-bios',
  'raw-efi',
  'qcow2-bios',
  'qcow2-efi',
] as const;
export type BootFormat = (typeof bootFormats)[number];

export function isBootFormat(value: string): value is BootFormat {
  return (bootFormats as readonly string[]).includes(value);
}
