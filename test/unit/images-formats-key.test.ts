import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { outputFiles } from '../../src/images/formats/applicable.ts';
import { type FormatFacts, formatComplete, formatKey, keyFile } from '../../src/images/formats/index.ts';

const facts: FormatFacts = { imageKey: 'a'.repeat(64), console: 'ttyS0', loaderInit: 'b'.repeat(64) };

test('the boot-loader formats rebuild when the target console changes, the kernel formats do not', (t) => {
  const otherConsole = { ...facts, console: 'hvc0' };
  for (const format of ['iso-bios', 'iso-efi', 'raw-bios', 'raw-efi', 'qcow2-bios', 'qcow2-efi'] as const) t.not(formatKey(format, otherConsole), formatKey(format, facts), format);
  for (const format of ['kernel+squashfs', 'kernel+erofs'] as const) t.is(formatKey(format, otherConsole), formatKey(format, facts), format);
});

test('the kernel+squashfs and kernel+erofs formats rebuild when loader-init changes, the others do not', (t) => {
  const otherLoader = { ...facts, loaderInit: 'c'.repeat(64) };
  for (const format of ['kernel+squashfs', 'kernel+erofs'] as const) t.not(formatKey(format, otherLoader), formatKey(format, facts), format);
  for (const format of ['iso-bios', 'raw-efi', 'qcow2-efi'] as const) t.is(formatKey(format, otherLoader), formatKey(format, facts), format);
});

test('every format rebuilds when its image changes, and formats never share a key', (t) => {
  const otherImage = { ...facts, imageKey: 'd'.repeat(64) };
  const keys = new Set<string>();
  for (const format of ['kernel+squashfs', 'kernel+erofs', 'iso-bios', 'iso-efi', 'raw-bios', 'raw-efi', 'qcow2-bios', 'qcow2-efi'] as const) {
    t.not(formatKey(format, otherImage), formatKey(format, facts), format);
    keys.add(formatKey(format, facts));
  }
  t.is(keys.size, 8);
});

test('a format folder counts as made only with every output and the key of the current inputs', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-format-'));
  for (const file of outputFiles('iso-bios', 'reference')) writeFileSync(join(dir, file), 'x');
  const key = formatKey('iso-bios', facts);
  t.false(formatComplete(dir, 'iso-bios', 'reference', key), 'no key file: made before keys existed');
  writeFileSync(join(dir, keyFile), JSON.stringify({ key: formatKey('iso-bios', { ...facts, console: 'ttyAMA0' }) }));
  t.false(formatComplete(dir, 'iso-bios', 'reference', key), 'made for another console');
  writeFileSync(join(dir, keyFile), JSON.stringify({ key }));
  t.true(formatComplete(dir, 'iso-bios', 'reference', key));
  t.false(formatComplete(dir, 'raw-bios', 'reference', formatKey('raw-bios', facts)), 'outputs missing');
});
