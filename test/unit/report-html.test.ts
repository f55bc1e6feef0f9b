import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { htmlEscape, renderHtml } from '../../src/report/html.ts';
import type { Report } from '../../src/report/model.ts';
import { hostileMessage, sampleReport } from '../fixtures/reports/sample.ts';

const chromium = '/usr/bin/chromium';

/** Debian's Chromium, installed when missing and we are root (scripts/setup.mjs installs it too). */
function haveChromium(): boolean {
  if (existsSync(chromium)) return true;
  if (process.getuid?.() !== 0) return false;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { env, stdio: 'ignore', timeout: 540_000 });
  if (install().status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { env, stdio: 'ignore', timeout: 300_000 });
    install();
  }
  return existsSync(chromium);
}

/** Load `file` in headless Chromium and return the DOM as Chromium parsed it. */
async function dumpDom(file: string): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'kt-chromium-'));
  try {
    const result = await execa(
      chromium,
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--dump-dom', pathToFileURL(file).href],
      { timeout: 120_000, reject: false },
    );
    if (!result.stdout.includes('</html>')) throw new Error(`chromium --dump-dom gave no page (exit ${result.exitCode}): ${result.stderr.slice(-500)}`);
    return result.stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

const decode = (text: string) =>
  text.replace(/&(lt|gt|quot|#39|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[e] ?? '');

/** Attributes of an opening tag, entity-decoded. */
function attrs(tag: string): Record<string, string> {
  return Object.fromEntries([...tag.matchAll(/([\w:-]+)="([^"]*)"/g)].map((m) => [m[1] ?? '', decode(m[2] ?? '')]));
}

/** Opening tags of `name` in `html` (attribute values cannot hold a raw `"`, so [^>]* stops at the tag's end only after them). */
const openTags = (html: string, name: string) => [...html.matchAll(new RegExp(`<${name}\\b(?:[^>"]|"[^"]*")*>`, 'g'))].map((m) => m[0]);

/** The outer text of the first element opening with `start` up to its (non-nested) `</end>`. */
function element(html: string, start: string, end: string): string {
  const from = html.indexOf(start);
  if (from < 0) return '';
  const to = html.indexOf(`</${end}>`, from);
  return html.slice(from, to + end.length + 3);
}

/** The DOM with every attribute value emptied: what is left is markup and text. */
const withoutAttributeValues = (html: string) => html.replace(/="[^"]*"/g, '=""');

let dom = '';
let report: Report;

test.before(async () => {
  report = sampleReport();
  if (!haveChromium()) return; // every DOM check fails (needsDom)
  const dir = mkdtempSync(join(tmpdir(), 'kt-html-'));
  const file = join(dir, 'report.html');
  writeFileSync(file, renderHtml(report));
  dom = await dumpDom(file);
  rmSync(dir, { recursive: true, force: true });
});

/** Without Chromium the DOM checks fail (scripts/setup.mjs installs it): they never pass unchecked. */
const needsDom = (t: { fail: (message?: string) => void }) => {
  if (dom) return false;
  t.fail('chromium is missing: install it (scripts/setup.mjs does, as root)');
  return true;
};

test('the matrix has one row per case and one column per target, in report order', (t) => {
  if (needsDom(t)) return;
  const table = element(dom, '<table id="matrix"', 'table');
  t.not(table, '');
  t.deepEqual(openTags(table, 'th').map(attrs).filter((a) => a['data-target']).map((a) => a['data-target']), ['arm64', 's390x', 'x86_64']);
  t.deepEqual(openTags(table, 'tr').map(attrs).filter((a) => a['data-case']).map((a) => a['data-case']), ['boot', 'dhcp', 'rng']);
  const rows = table.split('<tr').slice(2);
  t.is(rows.length, 3);
  for (const row of rows) t.is(openTags(row, 'td').length, 3);
});

test('each matrix cell shows its verdict, colour class, duration and message', (t) => {
  if (needsDom(t)) return;
  const cells = openTags(element(dom, '<table id="matrix"', 'table'), 'td').map(attrs);
  t.is(cells.length, 9);
  for (const run of report.runs) {
    for (const c of run.cases) {
      const cell = cells.find((a) => a['data-target'] === run.target && a['data-case'] === c.id);
      t.truthy(cell, `${run.target}/${c.id}`);
      t.is(cell?.['data-status'], c.status);
      t.true(cell?.class?.split(' ').includes(`v-${c.status}`), cell?.class);
      // The message as text, escape characters made visible.
      t.is(cell?.title, c.message.replace(/\x1b/g, '\\x1b'));
    }
  }
  t.regex(dom, /data-target="s390x" data-case="rng" data-status="error"[^>]*>error<span class="d">1 min 00 s<\/span>/);
});

test('the run status of each target is shown, flaky distinctly', (t) => {
  if (needsDom(t)) return;
  const heads = openTags(element(dom, '<thead>', 'thead'), 'span').map(attrs);
  t.deepEqual(heads.map((a) => a['data-status']), ['flaky', 'error', 'interrupted']);
  t.true(heads[0]?.class?.includes('v-flaky'));
  const sections = openTags(dom, 'section').map(attrs);
  t.deepEqual(sections.map((a) => [a['data-target'], a['data-status']]), [['arm64', 'flaky'], ['s390x', 'error'], ['x86_64', 'interrupted']]);
  t.regex(dom, /passed on attempt 2 after an infrastructure fault/);
});

test('each target shows its image with sha256, its accelerator and its memory footprint', (t) => {
  if (needsDom(t)) return;
  for (const run of report.runs) {
    const section = element(dom, `<section class="target" id="target-${run.target}"`, 'section');
    t.true(section.includes(run.image.path), run.target);
    for (const [file, sum] of Object.entries(run.image.sha256)) {
      t.true(section.includes(file));
      t.true(section.includes(sum));
    }
    t.true(section.includes(`<code>${run.accel}</code>`));
    t.true(section.includes(run.accelReason));
  }
  const arm = element(dom, '<section class="target" id="target-arm64"', 'section');
  t.regex(arm, /60\.0 MiB used in the guest/);
  t.regex(arm, /<code>&lt;b&gt;getty&lt;\/b&gt;<\/code><\/td><td>2\.0 MiB/);
  t.false(element(dom, '<section class="target" id="target-x86_64"', 'section').includes('class="memory"'));
});

test('each target has one timeline chart with a marker per moment and a bar per timed case', (t) => {
  if (needsDom(t)) return;
  const svgs = openTags(dom, 'svg').map(attrs);
  t.deepEqual(svgs.map((a) => a['data-target']), ['arm64', 's390x', 'x86_64']);
  t.true(svgs.every((a) => a.class === 'timeline'));
  for (const run of report.runs) {
    const svg = element(dom, `<svg class="timeline" data-target="${run.target}"`, 'svg');
    const markers = openTags(svg, 'g').map(attrs).filter((a) => a.class?.split(' ').includes('marker'));
    const moments = Object.keys(run.timeline).filter((k) => !k.startsWith('case:'));
    t.deepEqual(markers.map((a) => a['data-name']).sort(), moments.sort(), run.target);
    for (const m of markers) t.is<number | undefined, number | undefined>(Number(m['data-ms']), run.timeline[m['data-name'] ?? '']);
    t.true(markers.filter((m) => m['data-name']?.startsWith('guest:')).every((m) => m.class?.includes('guest')));
    const bars = openTags(svg, 'g').map(attrs).filter((a) => a.class === 'bar');
    const timed = run.cases.filter((c) => run.timeline[`case:${c.id}`] !== undefined || c.id === 'boot');
    t.deepEqual(bars.map((b) => b['data-case']).sort(), timed.map((c) => c.id).sort(), run.target);
    for (const bar of bars) {
      const c = run.cases.find((x) => x.id === bar['data-case']);
      t.is(bar['data-status'], c?.status);
      t.is<number | undefined, number | undefined>(Number(bar['data-end-ms']), run.timeline[`case:${c?.id}`] ?? run.timeline['shell-ready']);
    }
    t.is(openTags(svg, 'circle').length, moments.length);
    t.is(openTags(svg, 'rect').length, timed.length);
  }
});

test('guest text cannot inject markup: the script tag stays text and escape characters become visible', (t) => {
  if (needsDom(t)) return;
  const markup = withoutAttributeValues(dom);
  t.notRegex(markup, /<script/i);
  t.notRegex(markup, /<img/i);
  t.notRegex(markup, /<b>/);
  t.true(dom.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  t.true(dom.includes('\\x1b[31mred\\x1b[0m'));
  t.false(dom.includes('\x1b'));
  t.true(hostileMessage.includes('\x1b'));
});

test('the page is self-contained: no script, no external resource, a CSP that forbids both', (t) => {
  const html = renderHtml(sampleReport());
  t.notRegex(html, /<(script|link|img|iframe|object)\b/i);
  t.notRegex(html, /\b(src|href)="(?!#)/);
  t.notRegex(html, /url\(/);
  t.deepEqual(html.match(/https?:\/\/[^"\s]*/g), ['http://www.w3.org/2000/svg', 'http://www.w3.org/2000/svg', 'http://www.w3.org/2000/svg']);
  t.regex(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">/);
});

test('htmlEscape escapes markup and quotes and makes control characters visible', (t) => {
  t.is(htmlEscape(`<a href="x">'&'</a>\x1b[0m\x00\r\n\tok`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;\\x1b[0m\\x00\n\tok');
});

test('a run without a timeline still gets its (empty) chart', (t) => {
  const r = sampleReport();
  const run = r.runs[2];
  if (!run) return t.fail();
  run.timeline = {};
  const html = renderHtml(r);
  t.regex(html, /<svg class="timeline" data-target="x86_64"[^>]*><text class="axis" x="8" y="20">no timeline recorded<\/text><\/svg>/);
});

test('a case missing from one target shows as an empty cell, not a shifted row', (t) => {
  const r = sampleReport();
  r.runs[0]?.cases.push({ id: 'runc', title: 'runc runs a container', status: 'passed', durationMs: 1, message: 'ok', evidence: '' });
  const html = renderHtml(r);
  const row = element(html, '<tr data-case="runc"', 'tr');
  t.deepEqual(openTags(row, 'td').map(attrs).map((a) => [a['data-target'], a['data-status']]), [['arm64', 'passed'], ['s390x', 'none'], ['x86_64', 'none']]);
});
