// A vendor's catastrophic regular expression must not block the event loop: every place that
// matches a pattern from a target or case file returns quickly on ^(a+)+$ against "aaa…b".
import test from 'ava';
import { execa } from 'execa';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/config/paths.ts';
import { regexProblem } from '../../src/config/regex-fields.ts';

const src = (path: string) => JSON.stringify(join(projectRoot, 'src', path));

test('catastrophic patterns from targets and cases are matched in bounded time', async (t) => {
  // In a child process: before the fix each match below backtracks for longer than the universe is old.
  const dir = mkdtempSync(join(tmpdir(), 'kt-redos-'));
  const script = join(dir, 'match.mts');
  writeFileSync(
    script,
    `import { compileFailurePatterns, matchFailure, blockScreener } from ${src('console/failure-patterns.ts')};
import { judgeRunStep } from ${src('cases/checks/script.ts')};
import { rngSettings } from ${src('cases/checks/rng.ts')};
import { compileMatcher } from ${src('console/text-window.ts')};
import { boundedRegex } from ${src('util/bounded-regex.ts')};
const evil = '^(a+)+$';
const line = 'a'.repeat(20_000) + 'b';
const patterns = compileFailurePatterns([evil], { includeDefaults: false });
const results = [
  matchFailure(line, patterns),
  blockScreener(patterns)(line + '\\n' + line),
  judgeRunStep({ run: 'x', output: evil }, 0, line),
  judgeRunStep({ run: 'x', notOutput: evil }, 0, line),
  judgeRunStep({ run: 'x', json: { path: 'a', matches: evil } }, 0, JSON.stringify({ a: line })),
  rngSettings({ hwrng: evil, sources: [], processNames: [], sampleGapMs: 1 }).hwrng.test(line),
  compileMatcher(boundedRegex(evil))(line, 0),
];
console.log(JSON.stringify(results));
`,
  );
  const r = await execa(process.execPath, ['--import', 'tsx', script], { cwd: projectRoot, reject: false, timeout: 60_000 });
  t.false(r.timedOut, 'the matches returned within 60 s');
  t.is(r.exitCode, 0, String(r.stderr));
  const [failure, screened, output, notOutput, json, hwrng, wait] = JSON.parse(String(r.stdout)) as unknown[];
  t.is(failure, null); // undefined, through JSON
  t.false(screened);
  t.regex(String(output), /^output does not match/);
  t.is(notOutput, null);
  t.regex(String(json), /does not match/);
  t.false(hwrng);
  t.is(wait, null);
});

test('a pattern that only a backtracking engine can run is refused when its file is loaded', (t) => {
  for (const bad of ['(a+)\\1$', '(?=a)(a+)+$', '(?<!x)a', '[0-9a-f]{32}']) t.regex(regexProblem(bad) ?? '', /cannot be matched in linear time/, bad);
  for (const good of ['^(a+)+$', 'Run \\S+ as init process|Freeing unused kernel', '^held by pid [0-9]+$', 'login: ?$', '[0-9a-f]{1,16}']) t.is(regexProblem(good), undefined, good);
});
