// Merge the JSON reports of shards (one CI job each) into the report a single run would have written.
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { displayPath } from '../config/load-yaml.ts';
import { UsageError } from '../errors.ts';
import { type Report, type RunReport, summarize } from './model.ts';
import { recomputedStatus } from './status.ts';

const count = { type: 'integer', minimum: 0 } as const;
const ms = { type: 'number', minimum: 0 } as const;
const text = { type: 'string' } as const;
const numbers = { type: 'object', additionalProperties: { type: 'number' } } as const;

const sha256 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const fileEntry = { folder: text, path: { type: 'string', minLength: 1 }, sha256 } as const;

/** model.ts's ConformanceStatement. */
const statementSchema = {
  type: 'object',
  required: ['profile', 'kittest', 'cases', 'qemu'],
  properties: {
    profile: {
      type: 'object',
      required: ['name', 'version', 'folder', 'path', 'sha256', 'cases'],
      properties: { name: { type: 'string', minLength: 1 }, version: text, ...fileEntry, cases: { type: 'array', items: text } },
    },
    kittest: text,
    cases: { type: 'array', items: { type: 'object', required: ['id', 'folder', 'path', 'sha256'], properties: { id: { type: 'string', minLength: 1 }, ...fileEntry } } },
    qemu: { type: 'object', additionalProperties: text },
  },
} as const;

/** The shape of model.ts's Report, checked loosely enough that newer fields pass. */
const reportSchema = {
  type: 'object',
  required: ['tool', 'runs', 'summary'],
  properties: {
    tool: { type: 'object', required: ['name', 'version'], properties: { name: { const: 'kittest' }, version: text } },
    statement: statementSchema,
    summary: {
      type: 'object',
      required: ['passed', 'failed', 'error', 'skipped', 'interrupted'],
      properties: { passed: count, failed: count, error: count, skipped: count, interrupted: count },
    },
    runs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['target', 'image', 'accel', 'accelReason', 'status', 'attempts', 'startedAt', 'durationMs', 'qemu', 'timeline', 'cases'],
        properties: {
          target: { type: 'string', minLength: 1 },
          image: {
            type: 'object',
            required: ['path', 'format', 'sha256', 'sizeBytes'],
            properties: { path: text, format: text, sha256: { type: 'object', additionalProperties: text }, sizeBytes: count, kernelArch: text },
          },
          accel: text,
          accelReason: text,
          status: { enum: ['passed', 'failed', 'error', 'interrupted', 'flaky'] },
          attempts: { type: 'integer', minimum: 1 },
          startedAt: text,
          durationMs: ms,
          message: text,
          hostError: text,
          wireCapped: text,
          qemu: { type: 'object', required: ['argv'], properties: { argv: { type: 'array', items: text }, exit: text, version: text, unsafe: text } },
          timeline: numbers,
          memory: { type: 'object', properties: { usedKiB: { type: 'number' }, rssKiB: numbers } },
          artifacts: text,
          cases: {
            type: 'array',
            items: {
              type: 'object',
              required: ['id', 'title', 'status', 'durationMs', 'message', 'evidence'],
              properties: {
                id: { type: 'string', minLength: 1 },
                title: text,
                status: { enum: ['passed', 'failed', 'error', 'skipped', 'interrupted'] },
                durationMs: ms,
                message: text,
                evidence: text,
                console: text,
              },
            },
          },
        },
      },
    },
  },
} as const;

const validate = new Ajv({ allErrors: false, strict: true }).compile<Report>(reportSchema);

function describe(error: ErrorObject | undefined): string {
  if (!error) return 'does not have the shape of a kittest report';
  const field = error.instancePath.split('/').slice(1).join('.') || '(top level)';
  if (error.keyword === 'required') return `missing "${[field === '(top level)' ? '' : `${field}.`, (error.params as { missingProperty: string }).missingProperty].join('')}"`;
  if (error.keyword === 'enum') return `${field} must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  if (error.keyword === 'const') return `${field} must be ${JSON.stringify((error.params as { allowedValue: unknown }).allowedValue)}`;
  return `${field} ${error.message ?? 'is invalid'}`;
}

/** Read and check one JSON report written by `kittest run --json`; any problem is a one-line UsageError naming the file. */
export function readReport(file: string): Report {
  const name = displayPath(file);
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${name}: cannot read the report (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(content);
  } catch (error) {
    throw new UsageError(`${name}: not valid JSON (${((error as Error).message.split('\n')[0] ?? '').trim()})`);
  }
  if (!validate(data)) throw new UsageError(`${name}: not a kittest report: ${describe(validate.errors?.[0])}`);
  return data;
}

/**
 * Order of a single run: loadTargets() sorts targets/*.yml by file name with the default
 * (code unit) sort, so compare "NAME.yml" the same way ("arm-v7.yml" < "arm.yml" although "arm" < "arm-v7").
 */
function byTargetFile(a: RunReport, b: RunReport): number {
  const x = `${a.target}.yml`;
  const y = `${b.target}.yml`;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Targets in `expected` that no merged run is for (a shard's JSON missing, or a target it did not run). */
export function missingTargets(report: Report, expected: readonly string[]): string[] {
  const present = new Set(report.runs.map((r) => r.target));
  return expected.filter((target) => !present.has(target));
}

/**
 * Merge shard reports: runs in target order, a target at most once, statuses and summary recomputed. `names` label the reports in errors;
 * `order` is the targets as kittest run lists them (built-in ones, then each --targets folder's), the others following by file name.
 */
export function mergeReports(reports: readonly Report[], names: readonly string[] = reports.map((_, i) => `report ${i + 1}`), order: readonly string[] = []): Report {
  const first = reports[0];
  if (!first) throw new UsageError('report merge: no reports to merge');
  const from = new Map<string, string>();
  const runs: RunReport[] = [];
  reports.forEach((report, i) => {
    const name = names[i] ?? `report ${i + 1}`;
    for (const run of report.runs) {
      const seen = from.get(run.target);
      if (seen !== undefined) {
        throw new UsageError(`report merge: target "${run.target}" appears twice (${seen === name ? `in ${name}` : `in ${seen} and ${name}`}); each target must come from one shard`);
      }
      from.set(run.target, name);
      runs.push({ ...run, status: recomputedStatus(run) });
    }
  });
  const rank = (run: RunReport) => (order.includes(run.target) ? order.indexOf(run.target) : order.length);
  runs.sort((a, b) => rank(a) - rank(b) || byTargetFile(a, b));
  const statement = mergedStatement(reports, names);
  return { tool: first.tool, ...(statement ? { statement } : {}), runs, summary: summarize(runs) };
}

/**
 * The statement of shards of one profile run: every report must carry the same one (profile, case
 * files, kittest), or none may; QEMU versions are joined.
 */
function mergedStatement(reports: readonly Report[], names: readonly string[]): Report['statement'] {
  const withOne = reports.findIndex((r) => r.statement);
  if (withOne < 0) return undefined;
  const first = reports[withOne]!.statement!;
  const claim = (s: NonNullable<Report['statement']>) => JSON.stringify({ ...s, qemu: undefined });
  const qemu: Record<string, string> = {};
  reports.forEach((report, i) => {
    const name = names[i] ?? `report ${i + 1}`;
    if (!report.statement) throw new UsageError(`report merge: ${name} has no conformance statement but ${names[withOne] ?? 'another'} has one; merge only the shards of one --profile run`);
    if (claim(report.statement) !== claim(first)) {
      throw new UsageError(`report merge: the conformance statements of ${names[withOne] ?? 'one report'} and ${name} differ (profile, case files or kittest); merge only the shards of one --profile run`);
    }
    Object.assign(qemu, report.statement.qemu);
  });
  return { ...first, qemu };
}
