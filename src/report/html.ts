// HTML report: one self-contained page (inline CSS and SVG, no script, no external resource) with the
// targets × cases matrix, each run's image, accelerator and memory, and a boot timeline chart per target.
import type { CaseReport, Report, RunReport } from './model.ts';
import { shellArg } from '../util/shell-quote.ts';

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape text for HTML content and quoted attributes; control characters become visible (\x1b). Guest text is untrusted. */
export function htmlEscape(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(/[&<>"']/g, (c) => entities[c] ?? c);
}

const h = htmlEscape;

/** "850 ms", "12.3 s", "2 min 05 s". */
function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const total = Math.round(ms / 1000);
  return `${Math.floor(total / 60)} min ${String(total % 60).padStart(2, '0')} s`;
}

const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;

const css = `
:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#fff}
body{margin:24px auto;max-width:1200px;padding:0 16px;line-height:1.4}
h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.25em;margin:0 0 8px;display:flex;gap:10px;align-items:center}
code,pre{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,monospace;font-size:.85em}
pre{background:#f6f8fa;border:1px solid #d1d9e0;border-radius:6px;padding:8px;white-space:pre-wrap;word-break:break-all;max-height:24em;overflow:auto}
.muted{color:#59636e}
.chip{display:inline-block;border-radius:999px;padding:1px 10px;font-size:.85em;font-weight:600;border:1px solid transparent}
.v-passed{background:#dcfce7;color:#14532d;border-color:#86efac}
.v-failed{background:#fee2e2;color:#7f1d1d;border-color:#fca5a5}
.v-error{background:#fae8ff;color:#701a75;border-color:#f0abfc}
.v-skipped{background:#f3f4f6;color:#4b5563;border-color:#d1d5db}
.v-interrupted{background:#ffedd5;color:#7c2d12;border-color:#fdba74}
.v-flaky{background:repeating-linear-gradient(135deg,#fef9c3 0 6px,#fde68a 6px 12px);color:#713f12;border:1px dashed #ca8a04}
.v-none{background:#fff;color:#8c959f}
#overall{font-size:1.1em;margin:12px 0}
table{border-collapse:collapse}
#matrix{margin:12px 0 28px;min-width:50%}
#matrix th,#matrix td{border:1px solid #d1d9e0;padding:6px 10px;text-align:left;vertical-align:top}
#matrix thead th{background:#f6f8fa;white-space:nowrap}
#matrix thead .chip{margin-left:6px}
#matrix td.verdict{min-width:7em;font-weight:600}
#matrix td.verdict .d{display:block;font-weight:400;font-size:.85em}
.case-title{display:block;font-weight:400;font-size:.85em;color:#59636e}
.legend{margin:8px 0 20px}
section.target{border:1px solid #d1d9e0;border-radius:8px;padding:16px;margin:0 0 20px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0 0 12px}
dl.facts dt{font-weight:600;color:#59636e}dl.facts dd{margin:0}
table.plain td,table.plain th{border-bottom:1px solid #eaeef2;padding:3px 12px 3px 0;text-align:left;font-weight:400}
figure{margin:12px 0}figcaption{font-size:.85em;color:#59636e}
svg.timeline{width:100%;max-width:1000px;height:auto;display:block;font-size:13px}
svg.timeline .grid{stroke:#eaeef2}svg.timeline .axis{fill:#59636e;font-size:11px}
svg.timeline .label{fill:#1f2328}svg.timeline .at{fill:#59636e;font-size:11px}
svg.timeline .guide{stroke:#8c959f;stroke-dasharray:2 3}
svg.timeline .marker .dot{fill:#0969da}svg.timeline .marker.guest .dot{fill:#1a7f37}
svg.timeline rect.v-passed{fill:#4ade80}svg.timeline rect.v-failed{fill:#f87171}svg.timeline rect.v-error{fill:#e879f9}
svg.timeline rect.v-skipped{fill:#d1d5db}svg.timeline rect.v-interrupted{fill:#fb923c}
details{margin:6px 0}summary{cursor:pointer}
`;

const chip = (status: string, text = status) => `<span class="chip v-${h(status)}" data-status="${h(status)}">${h(text)}</span>`;

/** Case ids over all runs, in the order they first appear, with the first title seen. */
function caseRows(runs: readonly RunReport[]): { id: string; title: string }[] {
  const rows = new Map<string, string>();
  for (const run of runs) for (const c of run.cases) if (!rows.has(c.id)) rows.set(c.id, c.title);
  return [...rows].map(([id, title]) => ({ id, title }));
}

function matrixTable(runs: readonly RunReport[]): string {
  const head = runs.map((r) => `<th scope="col" data-target="${h(r.target)}"><a href="#target-${h(r.target)}">${h(r.target)}</a>${chip(r.status)}</th>`);
  const body = caseRows(runs).map(({ id, title }) => {
    const cells = runs.map((run) => {
      const c = run.cases.find((x) => x.id === id);
      const where = `data-target="${h(run.target)}" data-case="${h(id)}"`;
      if (!c) return `<td class="verdict v-none" ${where} data-status="none" title="not part of this run">—</td>`;
      return `<td class="verdict v-${h(c.status)}" ${where} data-status="${h(c.status)}" title="${h(c.message)}">${h(c.status)}<span class="d">${duration(c.durationMs)}</span></td>`;
    });
    return `<tr data-case="${h(id)}"><th scope="row"><code>${h(id)}</code><span class="case-title">${h(title)}</span></th>${cells.join('')}</tr>`;
  });
  return `<table id="matrix"><thead><tr><th scope="col">case</th>${head.join('')}</tr></thead><tbody>\n${body.join('\n')}\n</tbody></table>`;
}

interface Row {
  name: string;
  startMs: number;
  endMs: number;
  /** A case bar (with its verdict) or an instant. */
  case?: CaseReport;
}

/** Timeline rows: a bar per case (ending at its `case:<id>` mark; boot ends at shell-ready), a marker per other entry. */
function timelineRows(run: RunReport): Row[] {
  const rows: Row[] = [];
  for (const c of run.cases) {
    const end = run.timeline[`case:${c.id}`] ?? (c.id === 'boot' && c.status !== 'skipped' ? run.timeline['shell-ready'] : undefined);
    if (end !== undefined) rows.push({ name: c.id, startMs: Math.max(0, end - c.durationMs), endMs: end, case: c });
  }
  for (const [name, at] of Object.entries(run.timeline)) if (!name.startsWith('case:')) rows.push({ name, startMs: at, endMs: at });
  return rows.sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);
}

/** A round step (1, 2 or 5 × 10^n ms) giving about six ticks up to `max`. */
function tickStep(max: number): number {
  const raw = max / 6;
  const power = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
}

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

function timelineSvg(run: RunReport): string {
  const rows = timelineRows(run);
  const width = 1000;
  const left = 220;
  const right = 120;
  const top = 22;
  const rowH = 20;
  const height = top + Math.max(1, rows.length) * rowH + 8;
  const open = `<svg class="timeline" data-target="${h(run.target)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-label="boot timeline of ${h(run.target)}">`;
  if (rows.length === 0) return `${open}<text class="axis" x="8" y="20">no timeline recorded</text></svg>`;
  const maxMs = Math.max(1, ...rows.map((r) => r.endMs));
  const step = tickStep(maxMs);
  const x = (ms: number) => left + (ms / (Math.ceil(maxMs / step) * step)) * (width - left - right);
  const parts = [open];
  for (let t = 0; t <= Math.ceil(maxMs / step) * step + step / 2; t += step) {
    parts.push(`<line class="grid" x1="${x(t).toFixed(1)}" y1="${top - 6}" x2="${x(t).toFixed(1)}" y2="${height - 4}"/>`);
    parts.push(`<text class="axis" x="${x(t).toFixed(1)}" y="12" text-anchor="middle">${t === 0 ? '0' : duration(t)}</text>`);
  }
  rows.forEach((row, i) => {
    const y = top + i * rowH;
    const mid = y + rowH / 2;
    const label = `<text class="label" x="${left - 10}" y="${mid + 4}" text-anchor="end">${h(clip(row.name, 30))}</text>`;
    if (row.case) {
      const c = row.case;
      const x1 = x(row.startMs);
      const w = Math.max(2, x(row.endMs) - x1);
      const tip = `${row.name}: ${c.status}, ${duration(row.startMs)} → ${duration(row.endMs)} (${duration(c.durationMs)})`;
      parts.push(
        `<g class="bar" data-case="${h(c.id)}" data-status="${h(c.status)}" data-start-ms="${row.startMs}" data-end-ms="${row.endMs}"><title>${h(tip)}</title>${label}` +
          `<rect class="v-${h(c.status)}" x="${x1.toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" rx="3"/>` +
          `<text class="at" x="${(x1 + w + 6).toFixed(1)}" y="${mid + 4}">${duration(c.durationMs)}</text></g>`,
      );
    } else {
      const cx = x(row.startMs).toFixed(1);
      const guest = row.name.startsWith('guest:') ? ' guest' : '';
      parts.push(
        `<g class="marker${guest}" data-name="${h(row.name)}" data-ms="${row.startMs}"><title>${h(`${row.name} at ${duration(row.startMs)}`)}</title>${label}` +
          `<line class="guide" x1="${cx}" y1="${top - 6}" x2="${cx}" y2="${mid}"/><circle class="dot" cx="${cx}" cy="${mid}" r="5"/>` +
          `<text class="at" x="${(Number(cx) + 9).toFixed(1)}" y="${mid + 4}">${duration(row.startMs)}</text></g>`,
      );
    }
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function runStatusText(run: RunReport): string {
  if (run.status === 'flaky') return `passed on attempt ${run.attempts} after an infrastructure fault`;
  return run.attempts > 1 ? `${run.status} after ${run.attempts} attempts` : run.status;
}

function memoryBlock(run: RunReport): string {
  const memory = run.memory;
  if (!memory) return '';
  const rss = Object.entries(memory.rssKiB ?? {}).sort((a, b) => b[1] - a[1]);
  return [
    `<dt>memory</dt><dd class="memory">${memory.usedKiB !== undefined ? `${mib(memory.usedKiB)} used in the guest` : 'not measured'}`,
    rss.length ? `<table class="plain rss"><tr><th>process</th><th>RSS</th></tr>${rss.map(([p, kib]) => `<tr><td><code>${h(p)}</code></td><td>${mib(kib)}</td></tr>`).join('')}</table>` : '',
    '</dd>',
  ].join('');
}

function targetSection(run: RunReport): string {
  const image = run.image;
  const sums = Object.entries(image.sha256).map(([file, sum]) => `<tr><td><code>${h(file)}</code></td><td><code class="sha256">${h(sum)}</code></td></tr>`);
  const problems = run.cases.filter((c) => c.status !== 'passed' && !(c.status === 'skipped' && c.message === 'not run'));
  const qemu = [run.qemu.version && `QEMU ${h(run.qemu.version)}`, run.qemu.exit && `ended with ${h(run.qemu.exit)}`, run.qemu.unsafe && `<strong>unsafe settings allowed by the target: ${h(run.qemu.unsafe)}</strong>`].filter(Boolean).join(', ');
  return [
    `<section class="target" id="target-${h(run.target)}" data-target="${h(run.target)}" data-status="${h(run.status)}">`,
    `<h2>${h(run.target)} ${chip(run.status)}</h2>`,
    '<dl class="facts">',
    `<dt>run</dt><dd>${h(runStatusText(run))}, started ${h(run.startedAt)}, took ${duration(run.durationMs)}</dd>`,
    run.message ? `<dt>message</dt><dd class="message">${h(run.message)}</dd>` : '',
    `<dt>accelerator</dt><dd class="accel"><code>${h(run.accel)}</code> <span class="muted">(${h(run.accelReason)})</span></dd>`,
    `<dt>image</dt><dd class="image"><code>${h(image.path)}</code> <span class="muted">${h(image.format)}, ${mib(image.sizeBytes / 1024)}${image.kernelArch ? `, ${h(image.kernelArch)} kernel` : ''}</span>`,
    `<table class="plain sha256">${sums.join('')}</table></dd>`,
    qemu ? `<dt>QEMU</dt><dd>${qemu}</dd>` : '',
    memoryBlock(run),
    run.artifacts ? `<dt>artifacts</dt><dd><code>${h(run.artifacts)}</code></dd>` : '',
    '</dl>',
    `<figure>${timelineSvg(run)}<figcaption>Boot timeline in time since QEMU started: bars are cases (coloured by verdict), blue dots are moments the host saw on the console, green dots are moments the guest reported.</figcaption></figure>`,
    ...problems.map(
      (c) =>
        `<details class="problem" data-case="${h(c.id)}"><summary>${chip(c.status)} <code>${h(c.id)}</code> ${h(c.message)}</summary>` +
        `${c.evidence ? `<pre class="evidence">${h(c.evidence)}</pre>` : ''}${c.console ? `<pre class="console">${h(c.console)}</pre>` : ''}</details>`,
    ),
    `<details class="argv"><summary>QEMU command line</summary><pre>${h(run.qemu.argv.map(shellArg).join(' '))}</pre></details>`,
    '</section>',
  ].join('\n');
}

/** A profile run's conformance statement: profile, kittest, QEMU per target and every case file's sha256. */
function statementSection(statement: NonNullable<Report['statement']>): string {
  const p = statement.profile;
  const qemu = Object.entries(statement.qemu).map(([target, v]) => `${h(target)} ${h(v)}`).join(', ');
  const rows = statement.cases.map((c) => `<tr data-case="${h(c.id)}"><th scope="row"><code>${h(c.id)}</code></th><td><code>${h(`${c.folder}/${c.path}`)}</code></td><td><code>${h(c.sha256)}</code></td></tr>`);
  return [
    `<section id="statement" data-profile="${h(p.name)}" data-version="${h(p.version)}"><h2>Conformance statement: ${h(p.name)} ${h(p.version)}</h2>`,
    `<p>Profile <code>${h(`${p.folder}/${p.path}`)}</code> sha256 <code>${h(p.sha256)}</code> · kittest ${h(statement.kittest)} · QEMU ${qemu || 'unknown'}. Accelerators, image sha256s and verdicts are in each target's section; <code>kittest report verify</code> rechecks the JSON report.</p>`,
    `<table class="statement"><thead><tr><th scope="col">case</th><th scope="col">file</th><th scope="col">sha256</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table></section>`,
  ].join('\n');
}

/** Render a report as one self-contained HTML page. */
export function renderHtml(report: Report): string {
  const s = report.summary;
  const ok = report.runs.every((r) => r.status === 'passed' || r.status === 'flaky');
  const counts = (['passed', 'failed', 'error', 'skipped', 'interrupted'] as const).map((k) => chip(k, `${s[k]} ${k}`)).join(' ');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    // No script may run, even if some guest text escaped the escaping.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>kittest report: ${report.runs.map((r) => h(r.target)).join(', ')}</title>`,
    `<style>${css}</style></head><body>`,
    `<h1>kittest conformance report</h1><p class="muted">kittest ${h(report.tool.version)} · ${report.runs.length} target${report.runs.length === 1 ? '' : 's'}</p>`,
    `<p id="overall" data-status="${ok ? 'passed' : 'failed'}">${chip(ok ? 'passed' : 'failed', ok ? 'every target passed' : 'not every target passed')} ${counts}</p>`,
    matrixTable(report.runs),
    ...(report.statement ? [statementSection(report.statement)] : []),
    `<p class="legend muted">Verdicts: ${chip('passed')} ${chip('failed')} ${chip('error')} ${chip('skipped')} ${chip('interrupted')} · run status ${chip('flaky')} = passed only after a retry for an infrastructure fault. Hover a cell for its message.</p>`,
    ...report.runs.map(targetSection),
    '</body></html>',
    '',
  ].join('\n');
}
