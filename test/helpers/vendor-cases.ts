// Temporary vendor case folders and profile files for --cases and --profile tests.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/config/paths.ts';

/** A vendor folder holding one case per `id`, each a copy of cases/rng.yml under that id (its `id:` on line 2). */
export function vendorFolder(ids: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'kt-vendor-'));
  const rng = readFileSync(join(projectRoot, 'cases', 'rng.yml'), 'utf8');
  for (const id of ids) writeFileSync(join(dir, `${id}.yml`), rng.replace(/^id: rng$/m, `id: ${id}`).replace(/^title: .*$/m, `title: Vendor case ${id}`));
  return dir;
}

/** A profile file `vendor.yml` with `text`, in a folder of its own. */
export function profileFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'kt-profile-')), 'vendor.yml');
  writeFileSync(file, text);
  return file;
}
