import test from 'ava';
import { commandData, commandProperty, errorAnnotations, markdownSummary, markdownText, timelineFigures } from '../../src/report/github.ts';
import { hostileMessage, sampleReport } from '../fixtures/reports/sample.ts';

test('the summary has a verdict grid of targets × cases', (t) => {
  const md = markdownSummary(sampleReport());
  t.true(md.includes('| target | run | boot | dhcp | rng |'));
  t.true(md.includes('| arm64 | ⚠️ flaky | ✅ passed | ✅ passed | ✅ passed |'));
  t.true(md.includes('| s390x | 💥 error | ✅ passed | ❌ failed | 💥 error |'));
  t.true(md.includes('| x86\\_64 | ⏹️ interrupted | ✅ passed | ⏹️ interrupted | ⏭️ skipped |'));
  t.true(md.includes('5 passed, 1 failed, 1 error, 1 skipped, 1 interrupted'));
});

test('failed cases are listed with their messages, guest text escaped', (t) => {
  const md = markdownSummary(sampleReport());
  t.true(md.includes('- **s390x** / **dhcp** (failed): expected a lease, saw &lt;script&gt;alert(1)&lt;/script&gt; and \\\\x1b\\[31mred\\\\x1b\\[0m &amp; &quot;quotes&quot;'));
  t.true(md.includes('- **s390x** / **rng** (error): case rng did not finish within 60000 ms'));
  t.true(md.includes('- **s390x** run: console shell is the host shell'));
  t.false(md.includes('<script>'));
  t.false(md.includes('\x1b'));
  t.false(md.includes('**arm64** /'));
});

test('the timeline gives boot to shell and the full verdict per target', (t) => {
  const md = markdownSummary(sampleReport());
  t.true(md.includes('| arm64 | tcg | 10.1 s | 11.9 s |'));
  t.true(md.includes('| s390x | tcg | 21.5 s | 86.7 s |'));
  t.true(md.includes('| x86\\_64 | kvm | 2.3 s | 2.7 s |'));
  const run = sampleReport().runs[0]!;
  t.deepEqual(timelineFigures({ ...run, timeline: {} }), { shellMs: undefined, verdictMs: undefined });
  t.deepEqual(timelineFigures({ ...run, timeline: { 'shell-ready': 5000 } }), { shellMs: 5000, verdictMs: 5000 });
});

test('markdownText keeps a cell one line and inert', (t) => {
  t.is(markdownText('a|b\nc *d* [x](y) `z` <b>'), 'a\\|b c \\*d\\* \\[x\\](y) \\`z\\` &lt;b&gt;');
});

test('one ::error annotation per failed, errored or interrupted case, naming target and case', (t) => {
  const lines = errorAnnotations(sampleReport());
  t.is(lines.length, 3);
  t.true(lines[0]!.startsWith('::error title=kittest s390x dhcp failed::s390x: case dhcp failed: expected a lease'));
  t.true(lines[1]!.startsWith('::error title=kittest s390x rng error::'));
  t.true(lines[2]!.startsWith('::error title=kittest x86_64 dhcp interrupted::'));
  t.true(lines[0]!.includes(hostileMessage.replace('\x1b', '\\x1b').replace('\x1b', '\\x1b')));
});

test('workflow command escaping: %, CR and LF in data; also : and , in properties', (t) => {
  t.is(commandData('100% done\r\nnext'), '100%25 done%0D%0Anext');
  t.is(commandProperty('a:b,c%'), 'a%3Ab%2Cc%25');
  const report = sampleReport();
  report.runs[0]!.cases[1]!.status = 'failed';
  report.runs[0]!.cases[1]!.message = 'line one\nline two: 50%';
  const [first] = errorAnnotations(report);
  t.is(first, '::error title=kittest arm64 dhcp failed::arm64: case dhcp failed: line one%0Aline two: 50%25');
  t.false(first!.includes('\n'));
});
