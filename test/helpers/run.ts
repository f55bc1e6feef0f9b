// Run one target in-process (for tests that need hooks or a changed target).
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectCases } from '../../src/cases/case-files.ts';
import { loadAllCases } from '../../src/cases/case-folders.ts';
import { loadTargets, type Target } from '../../src/config/targets.ts';
import { detectBootFiles } from '../../src/images/boot-files.ts';
import { runTarget, type RunRequest } from '../../src/matrix/run-target.ts';
import type { RunReport } from '../../src/report/model.ts';

/** The target named `name`, with some fields changed. */
export function targetWith(name: string, change: (t: Target) => Partial<Target> = () => ({})): Target {
  const target = loadTargets().find((t) => t.name === name);
  if (!target) throw new Error(`no target ${name}`);
  return { ...target, ...change(target) };
}

/** Boot `prefix` on `target` and judge `caseIds` (boot only by default), under TCG. */
export async function runImage(prefix: string, target: Target, caseIds: string[] = [], extra: Partial<RunRequest> = {}): Promise<RunReport & { artifactsDir: string }> {
  const image = detectBootFiles(prefix);
  const artifactsDir = mkdtempSync(join(tmpdir(), 'kt-test-art-'));
  const cases = selectCases(loadAllCases(), caseIds.length ? caseIds : ['boot']).filter((c) => caseIds.length || c.id === 'boot');
  const report = await runTarget({
    target,
    image,
    imageInfo: { path: prefix, format: image.format, sha256: {}, sizeBytes: image.files.reduce((n, f) => n + statSync(f).size, 0) },
    cases,
    accel: { accel: 'tcg', reason: 'test' },
    artifactsDir,
    ...extra,
  });
  return { ...report, artifactsDir };
}
