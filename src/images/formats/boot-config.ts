// Bootloader configuration texts (pure): syslinux/isolinux for BIOS, GRUB for EFI. Every menu
// boots at once (no timeout) and the loader talks on the serial port, where kittest listens.

/** Where the kernel and initramfs sit on the boot medium. */
export const bootPaths = { kernel: '/boot/kernel', initrd: '/boot/initrd.img' } as const;

/** Kernel command line inside a bootloader: the image's own plus the target's console. */
export function bootCmdline(cmdline: string, consoleDevice: string): string {
  const own = cmdline.trim();
  return /(^|\s)console=/.test(own) ? own : `${own}${own ? ' ' : ''}console=${consoleDevice}`;
}

/** syslinux.cfg / isolinux.cfg: serial port 0 at 115200, boot the default entry immediately. */
export function syslinuxConfig(cmdline: string): string {
  return [
    'SERIAL 0 115200',
    'DEFAULT kittest',
    'PROMPT 0',
    'TIMEOUT 0',
    'LABEL kittest',
    `  LINUX ${bootPaths.kernel}`,
    `  INITRD ${bootPaths.initrd}`,
    `  APPEND ${cmdline}`,
    '',
  ].join('\n');
}

interface GrubConfigOptions {
  cmdline: string;
  /** Find the filesystem holding the kernel first (a standalone GRUB starts on its memdisk). */
  searchRoot?: boolean;
  /** BIOS GRUB: mirror its output on the first serial port (EFI firmware already does). */
  serial?: boolean;
}

/** grub.cfg with one entry booted at once. */
export function grubConfig(options: GrubConfigOptions): string {
  const lines: string[] = [];
  if (options.serial) lines.push('serial --unit=0 --speed=115200', 'terminal_input serial console', 'terminal_output serial console');
  if (options.searchRoot) lines.push(`search --no-floppy --file --set=root ${bootPaths.kernel}`);
  lines.push(
    'set default=0',
    'set timeout=0',
    'set timeout_style=hidden',
    "menuentry 'kittest' {",
    `  linux ${bootPaths.kernel} ${options.cmdline}`,
    `  initrd ${bootPaths.initrd}`,
    '}',
    '',
  );
  return lines.join('\n');
}
