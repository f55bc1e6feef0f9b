// Plain-text table and number formatting for the bench output (pure, no colour).
import type { Spread } from './stats.ts';

/** Column alignment: left for labels, right for numbers. */
type Align = 'left' | 'right';

/** Lay out rows as columns separated by two spaces; the first row is the header, underlined with dashes. */
export function formatTable(rows: readonly (readonly string[])[], align: readonly Align[] = []): string[] {
  const columns = Math.max(0, ...rows.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, c) => Math.max(0, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (row: readonly string[]): string =>
    widths
      .map((width, c) => {
        const cell = row[c] ?? '';
        return (align[c] ?? (c === 0 ? 'left' : 'right')) === 'left' ? cell.padEnd(width) : cell.padStart(width);
      })
      .join('  ')
      .trimEnd();
  const [header, ...body] = rows;
  if (!header) return [];
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
}

/** Milliseconds as seconds with `digits` decimals ("12.3"), or "-" when unknown. */
export function seconds(ms: number | undefined, digits = 1): string {
  return ms === undefined || !Number.isFinite(ms) ? '-' : (ms / 1000).toFixed(digits);
}

/** Milliseconds as a whole number ("412"), or "-" when unknown. */
export function millis(ms: number | undefined): string {
  return ms === undefined || !Number.isFinite(ms) ? '-' : String(Math.round(ms));
}

/** A spread as "min / median / max" in seconds. */
export function spreadSeconds(s: Spread | undefined, digits = 1): string {
  return s ? `${seconds(s.min, digits)} / ${seconds(s.median, digits)} / ${seconds(s.max, digits)}` : '-';
}

/** A spread as "min / median / max" in milliseconds. */
export function spreadMillis(s: Spread | undefined): string {
  return s ? `${millis(s.min)} / ${millis(s.median)} / ${millis(s.max)}` : '-';
}

/** A ratio with two decimals, or "-". */
export function times(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(2);
}

/** KiB as MiB with one decimal, or "-". */
export function mebibytes(kib: number | undefined): string {
  return kib === undefined || !Number.isFinite(kib) ? '-' : (kib / 1024).toFixed(1);
}

/** Bytes as MB (10^6) with one decimal, or "-". */
export function megabytes(bytes: number | undefined): string {
  return bytes === undefined || !Number.isFinite(bytes) ? '-' : (bytes / 1e6).toFixed(1);
}

/** "met", "NOT met" or "n/a" for a goal. */
export function goalMark(met: boolean | undefined): string {
  return met === undefined ? 'n/a' : met ? 'met' : 'NOT met';
}
