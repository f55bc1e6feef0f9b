// Console lines that mean the guest kernel is dead or dying: a wait fails at once
// instead of running into its timeout (QEMU's functional tests and LAVA do the same).
import { boundedRegex } from '../util/bounded-regex.ts';

/** A named fatal pattern, matched against one complete console line. */
export interface FailurePattern {
  readonly name: string;
  readonly regex: RegExp;
}

/** The fatal patterns watched on every console unless a target replaces them. */
export const defaultFailurePatterns: readonly FailurePattern[] = Object.freeze([
  { name: 'Kernel panic - not syncing', regex: /Kernel panic - not syncing/ },
  { name: 'end Kernel panic', regex: /---\[ end Kernel panic/ },
  { name: 'Attempted to kill init', regex: /Attempted to kill init/ },
  { name: 'Unable to mount root', regex: /Unable to mount root/ },
  // x86 prints "Oops: 0002 [#1] SMP", arm64 "Internal error: Oops: 96000004 [#1]".
  { name: 'Oops', regex: /(?:^|[\s\]>])Oops(?: - [\w ]+)?: / },
  { name: 'kernel BUG at', regex: /kernel BUG at / },
  // Line start or right after the printk timestamp, so "DEBUG: " or "NOBUG: " don't count.
  { name: 'BUG', regex: /(?:^\s*|\]\s*|<\d>)BUG: / },
  { name: 'general protection fault', regex: /general protection fault/ },
]);

/** Watched too when firmware boots a disk or CD: the firmware or boot loader gave up, no kernel will come. */
export const firmwareFailurePatterns: readonly FailurePattern[] = Object.freeze([
  { name: 'No bootable device', regex: /No bootable device/ }, // SeaBIOS
  { name: 'No bootable option or device', regex: /No bootable option or device was found/ }, // edk2 (OVMF, AAVMF)
  { name: 'UEFI Interactive Shell', regex: /UEFI Interactive Shell v\d/ }, // edk2 fell back to its shell
  { name: 'grub rescue', regex: /grub rescue>/ },
  { name: 'Could not find kernel image', regex: /Could not find kernel image/ }, // syslinux
  { name: 'Boot failed', regex: /Boot failed: not a bootable disk|Boot failed: could not read the boot disk/ }, // SeaBIOS per device
]);

/** Extra patterns as written in a target file: a regex source string, or a ready pattern. */
type FailurePatternSpec = string | RegExp | FailurePattern;

/** Build the watched list: the defaults (unless `includeDefaults` is false) plus extra patterns. */
export function compileFailurePatterns(
  extra: readonly FailurePatternSpec[] = [],
  { includeDefaults = true }: { includeDefaults?: boolean } = {},
): readonly FailurePattern[] {
  const compiled = extra.map((spec): FailurePattern => {
    if (spec instanceof RegExp) return { name: spec.source, regex: spec };
    if (typeof spec !== 'string') return spec;
    try {
      return { name: spec, regex: boundedRegex(spec) };
    } catch (error) {
      // The config layer wraps this with the file and field it came from.
      throw new SyntaxError(`failure pattern ${JSON.stringify(spec)} is not a valid regular expression: ${(error as Error).message}`);
    }
  });
  return Object.freeze([...(includeDefaults ? defaultFailurePatterns : []), ...compiled]);
}

/** The name of the first fatal pattern a complete console line matches, or undefined. */
export function matchFailure(line: string, patterns: readonly FailurePattern[] = defaultFailurePatterns): string | undefined {
  for (const { name, regex } of patterns) {
    regex.lastIndex = 0; // a user regex may carry the g or y flag
    if (regex.test(line)) return name;
  }
  return undefined;
}

/**
 * A quick test on a block of many complete lines: false means no line of it can match,
 * so a flood is not split into lines just to look at each. (Each pattern runs with the m
 * flag, so ^ and $ still see line edges.)
 */
export function blockScreener(patterns: readonly FailurePattern[]): (block: string) => boolean {
  const multiline = patterns.map(({ regex }) => new RegExp(regex.source, regex.flags.replace(/[gym]/g, '') + 'm'));
  return (block) => multiline.some((re) => re.test(block));
}
