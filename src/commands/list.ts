// kittest list targets|cases|images: one line of description each.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { loadAllCases } from '../cases/case-folders.ts';
import { builtInProfiles, loadProfile } from '../cases/profiles.ts';
import { imagesDir } from '../config/paths.ts';
import { loadAllTargets } from '../config/targets.ts';
import { UsageError } from '../errors.ts';
import { safeField } from '../util/terminal-safe.ts';

function yamlFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.yml')).sort().map((f) => join(dir, f)) : [];
}

function imageLines(): string[] {
  return [...yamlFiles(imagesDir), ...yamlFiles(join(imagesDir, 'broken'))].map((file) => {
    let doc: { name?: string; description?: string } = {};
    try {
      doc = (parse(readFileSync(file, 'utf8')) ?? {}) as typeof doc;
    } catch {
      doc = { description: '(malformed YAML)' };
    }
    return `${relative(imagesDir, file).padEnd(30)} ${doc.description ?? doc.name ?? ''}`;
  });
}

/** Print one line per target, case or image definition. */
export async function listCommand(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  const what = positionals[0];
  const folders = values.cases as string[] | undefined;
  if (folders && what !== 'cases' && what !== 'profiles') throw new UsageError(`list ${what}: --cases is for list cases and list profiles`);
  let lines: string[];
  if (what === 'targets') {
    lines = loadAllTargets(values.targets as string[] | undefined).map((t) => `${t.name.padEnd(10)} ${t.description}${t.aliases.length ? ` (aliases: ${t.aliases.join(', ')})` : ''}`);
  } else if (what === 'cases') {
    lines = loadAllCases(folders).map((c) => `${c.id.padEnd(18)} ${c.title}`);
  } else if (what === 'profiles') {
    // Each is checked against the cases, so a profile naming an unknown case stops the listing with file:line.
    const cases = loadAllCases(folders);
    lines = builtInProfiles().map((name) => {
      const p = loadProfile(name, cases);
      return `${`${p.name} ${p.version}`.padEnd(24)} ${p.cases.join(', ')}`;
    });
  } else if (what === 'images') {
    lines = imageLines();
  } else {
    throw new UsageError(`list: unknown kind "${what}" (use targets, cases, images or profiles)`);
  }
  // Names, titles and descriptions come from files, a vendor's among them.
  process.stdout.write(`${lines.map(safeField).join('\n')}\n`);
  return 0;
}
