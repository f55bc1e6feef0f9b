// Reading a frame's body back when other writers' text landed inside it (see framing.ts).
import { createHash } from 'node:crypto';
import { checkedBody, FIRST_NOT_BASE64, NOT_BASE64, type DecodedFrame, type FrameCheck } from './frame-check.ts';

// Another writer inserts text anywhere: whole lines between them, or inside one, with or without
// its own newline. A reading keeps, for each base64 line in order, either one console line minus
// one window of foreign text, or the start of one console line and the end of a later one (the
// foreign text in between, its newlines included), and drops every other console line whole.
// Readings are tried from the most plausible on; the checksum decides.

// busybox, coreutils and toybox base64 wrap at 76 characters.
const WRAP = 76;
// A base64 line split across at most this many console lines.
const MAX_SPAN = 4;
// Search bounds per frame: base64 characters checked against the checksum in all (so small bodies
// may try more readings than big ones), within a floor and a ceiling of readings.
const CHECKED_CHARS = 8_000_000;
const MIN_READINGS = 64;
const MAX_READINGS = 2048;
// A run of base64 this long inside a line of foreign text is more likely a piece of the guest's line.
const FOREIGN_WORD = 16;
// Most base64 characters one window of foreign text may hold ("chatty[7]: tick OK" holds 13, a
// foreign line of pure base64 as long as the guest's 76): more is a misreading, and would make the
// search explode.
const MAX_FOREIGN_BASE64 = 80;
// Work allowed per frame, which bounds the time a hopeless body costs: ways to read a line looked
// at (each decodes a candidate line), and steps of the search for readings.
const MAX_MOVES = 300_000;
const MAX_STEPS = 3_000_000;
// Layout states kept per console line, and how far above the cheapest one they may cost.
const BEAM = 16;
const SLACK = 24;
// Costs: a reading's cost adds up these, so readings that explain the text more simply come first.
const COST = {
  /** A run of base64 dropped (a line all base64 such as "chattytick42", or a long run in other text)… */
  dropBase64: 4,
  /** …plus this per 8 characters: long foreign runs of base64 are rarer than short ones. */
  dropBase64Per8: 1,
  /** Foreign text removed from inside a base64 line… */
  window: 4,
  /** …plus this for each of its ends that is a base64 character, half of it for another character
   * (nothing for a newline at its end): foreign text mostly ends with its own newline, or at least
   * starts or ends with a blank or punctuation, while a misplaced window cuts into the guest's base64. */
  base64Edge: 2,
  /** Added when the foreign text would start or end inside a whole base64 line's worth of base64. */
  cutFullLine: 4,
  /** Added for a window whose foreign text looks like no other foreign text in the body. */
  lone: 3,
  /** Most added for a kept line whose bytes do not read as plain text (see oddness): command output is mostly text. */
  maxOddness: 6,
} as const;

/** One console line of the body. */
interface Segment {
  readonly text: string;
  /** Base64 characters before the first other one (the whole line when pure). */
  readonly lead: number;
  /** Base64 characters after the last other one. */
  readonly trail: number;
  readonly pure: boolean;
  /** The text after the last newline: no base64 line ends in it. */
  readonly final: boolean;
  /** What dropping the line whole costs. */
  readonly drop: number;
  /** How many base64 characters it has. */
  readonly base64: number;
}

/** Split body text into console lines and note where their base64 runs stop. */
function segmentsOf(text: string): Segment[] {
  const lines = text.split('\n');
  return lines.map((line, k) => {
    const final = k === lines.length - 1;
    const drop = final ? 0 : dropCost(line);
    const first = line.search(FIRST_NOT_BASE64);
    if (first === -1) return { text: line, lead: line.length, trail: line.length, pure: true, final, drop, base64: line.length };
    let last = line.length - 1;
    while (!FIRST_NOT_BASE64.test(line[last] ?? '')) last--;
    const base64 = line.replace(NOT_BASE64, '').length;
    return { text: line, lead: first, trail: line.length - 1 - last, pure: false, final, drop, base64 };
  });
}

/**
 * What dropping a console line whole costs: nothing for foreign text (words of base64 characters
 * among others), more for each run of base64 that could be the guest's: the whole line when it is
 * all base64, long runs otherwise (dropping a damaged guest line must not look cheap).
 */
function dropCost(line: string): number {
  const runs = line.match(/[A-Za-z0-9+/=]+/g) ?? [];
  const pure = runs.length === 1 && runs[0]?.length === line.length;
  let cost = 0;
  for (const run of runs) if (pure || run.length > FOREIGN_WORD) cost += COST.dropBase64 + COST.dropBase64Per8 * Math.ceil(run.length / 8);
  return cost;
}

// A whole base64 line, as the guest printed it: never cut into or dropped lightly.
function isFullLine(s: Segment): boolean {
  return s.pure && s.text.length === WRAP;
}

// Bytes of plain text: letters, digits, blank, newline, tab and common punctuation.
const PLAIN = new Uint8Array(256);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \n\t.,:;-_/()=\'"') PLAIN[c.charCodeAt(0)] = 1;

/**
 * How unlike text a base64 line decodes: 1 per rarer printable character or UTF-8 sequence, 3 per
 * control or invalid byte (a UTF-8 sequence cut at either edge of the line passes). A misplaced
 * window scrambles bytes, which rarely stay plain text.
 */
function oddness(b64: string): number {
  const bytes = Buffer.from(b64, 'base64');
  let odd = 0;
  let i = 0;
  // Continuation bytes at the start belong to a character begun on the line before.
  while (i < bytes.length && i < 3 && ((bytes[i] ?? 0) & 0xc0) === 0x80) i++;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    const size = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (size === 1) {
      odd += PLAIN[b] ? 0 : b >= 0x20 && b < 0x7f ? 1 : 3;
      i++;
      continue;
    }
    let n = 1;
    while (n < size && i + n < bytes.length && ((bytes[i + n] ?? 0) & 0xc0) === 0x80) n++;
    // A whole sequence, or one cut by the end of the line.
    if (size > 0 && (n === size || i + n === bytes.length)) {
      odd += 1;
      i += n;
    } else {
      odd += 3;
      i++;
    }
  }
  return odd;
}

/** '=' only as the padding of the last line. */
function paddingFits(text: string, last: boolean): boolean {
  return !text.includes('=') || (last && /^[^=]*={1,2}$/.test(text));
}

/** A way through the body: from one console line to the one at `to`, having kept `text` (a whole base64 line or nothing). */
interface Move {
  readonly to: number;
  readonly text: string;
  readonly cost: number;
  /** The foreign text a window removed, newlines included. */
  readonly removed?: string;
}

// A kept line formed by removing foreign text: its structural cost plus how little it reads as text.
function keptLine(to: number, text: string, cost: number, removed: string): Move {
  return { to, text, cost: cost + Math.min(COST.maxOddness, oddness(text)), removed };
}

// What removing foreign text costs, from its first and last characters (a newline counts as "\n").
function windowCost(first: string, last: string): number {
  const edge = (c: string): number => (FIRST_NOT_BASE64.test(c) ? COST.base64Edge / 2 : COST.base64Edge);
  return COST.window + edge(first) + (last === '\n' ? 0 : edge(last));
}

/** Ways to read base64 line `line` (of `length` characters) starting at console line j. */
function lineMoves(segments: readonly Segment[], j: number, length: number, last: boolean): Move[] {
  const first = segments[j];
  if (!first || first.final) return [];
  const moves: Move[] = [];
  if (first.pure && first.text.length === length && paddingFits(first.text, last)) moves.push({ to: j + 1, text: first.text, cost: 0 });
  const cutFirst = isFullLine(first) ? COST.cutFullLine : 0;
  // One console line minus one window [w, w + cut) that holds every non-base64 character. A window
  // at its end followed by an empty line is foreign text with its own newline, just before the guest's.
  const t = first.text;
  const cut = t.length - length;
  const ownNewline = segments[j + 1]?.text === '';
  if (cut > 0 && first.base64 - length <= MAX_FOREIGN_BASE64) {
    for (let w = Math.max(0, t.length - first.trail - cut); w <= Math.min(first.lead, length); w++) {
      const text = t.slice(0, w) + t.slice(w + cut);
      const cost = cutFirst + windowCost(t[w] ?? '', w === length && ownNewline ? '\n' : (t[w + cut - 1] ?? ''));
      const removed = t.slice(w, w + cut) + (w === length && ownNewline ? '\n' : '');
      if (paddingFits(text, last)) moves.push(keptLine(j + 1, text, cost, removed));
    }
  }
  // The start of this console line and the end of a later one; what lies between is foreign.
  let between = 0;
  for (let e = j + 1; e <= j + MAX_SPAN; e++) {
    const end = segments[e];
    if (!end || end.final || isFullLine(end)) break;
    // The base64 the window removes from both lines is the same whatever the split.
    const removable = first.base64 + end.base64 - length <= MAX_FOREIGN_BASE64;
    for (let p = Math.max(1, length - end.trail); removable && p <= Math.min(length - 1, first.lead); p++) {
      const tail = length - p;
      const head = end.text.length - tail;
      const text = t.slice(0, p) + end.text.slice(head);
      const cost = cutFirst + between + windowCost(t[p] ?? '\n', head === 0 ? '\n' : (end.text[head - 1] ?? ''));
      const removed = [t.slice(p), ...segments.slice(j + 1, e).map((s) => s.text), end.text.slice(0, head)].join('\n');
      if (paddingFits(text, last)) moves.push(keptLine(e + 1, text, cost, removed));
    }
    between += end.drop;
  }
  return cheapestOfEach(moves);
}

// Windows over repeated characters keep the same text: one move per target and text, the cheapest.
function cheapestOfEach(moves: readonly Move[]): Move[] {
  const best = new Map<string, Move>();
  for (const m of moves) {
    const key = `${m.to} ${m.text}`;
    const old = best.get(key);
    if (!old || old.cost > m.cost) best.set(key, m);
  }
  return [...best.values()];
}

/** An edge of the layout graph, stored at its target state. */
interface Edge {
  readonly fromJ: number;
  readonly fromLine: number;
  readonly cost: number;
  readonly text: string;
}

/** A state: before console line j with `line` base64 lines read; g is the cheapest cost to get here. */
interface State {
  g: number;
  readonly edges: Edge[];
}

/** The ways to read a full base64 line from each console line, and the last line (worked out on demand). */
interface LineMoves {
  readonly full: readonly (readonly Move[])[];
  readonly last: (j: number) => readonly Move[];
}

// Every way to read a full line, the cheaper for foreign text that repeats; undefined when out of work.
function allLineMoves(segments: readonly Segment[], chars: number, work: Work): LineMoves | undefined {
  const lastLength = chars - WRAP * (Math.ceil(chars / WRAP) - 1);
  const full: Move[][] = [];
  for (let j = 0; j < segments.length; j++) {
    full.push(lineMoves(segments, j, WRAP, false));
    if ((work.moves -= 1 + (full[j]?.length ?? 0)) < 0) return undefined;
  }
  const prefer = preferRepeated(segments, full);
  const last = new Map<number, readonly Move[]>();
  return {
    full: full.map(prefer),
    last: (j) => last.get(j) ?? last.set(j, prefer(lineMoves(segments, j, lastLength, true))).get(j) ?? [],
  };
}

// The shape of foreign text: one writer repeats its messages with other numbers ("tick 41", "tick 42").
function shapeOf(foreign: string): string {
  return foreign.replace(/[0-9]+/g, '#');
}

/**
 * Make lone windows dearer than windows whose foreign text has the shape of foreign text found
 * elsewhere in the body (a whole foreign line or another window): a chatty writer repeats itself,
 * while a misplaced window holds pieces of the guest's base64 and matches nothing else.
 */
function preferRepeated(segments: readonly Segment[], full: readonly (readonly Move[])[]): (moves: readonly Move[]) => Move[] {
  const places = new Map<string, Set<number>>();
  const seen = (shape: string, j: number): void => void (places.get(shape) ?? places.set(shape, new Set()).get(shape))?.add(j);
  for (const [j, s] of segments.entries()) if (!s.pure) seen(shapeOf(s.final ? s.text : `${s.text}\n`), j);
  for (const [j, moves] of full.entries()) for (const m of moves) if (m.removed !== undefined) seen(shapeOf(m.removed), j);
  return (moves) =>
    moves.map((m) => (m.removed === undefined || (places.get(shapeOf(m.removed))?.size ?? 0) > 1 ? m : { ...m, cost: m.cost + COST.lone }));
}

/**
 * An upper bound of the base64 lines the console lines from j on can still give (any console line
 * but the final one may hold the last line). A state that needs more is dead: without this, a state
 * that skipped a damaged line would look cheaper than the right one until the very end.
 */
function mostLines(moves: LineMoves, count: number): number[] {
  const most = new Array<number>(count + 1).fill(0);
  for (let j = count - 1; j >= 0; j--) {
    let best = Math.max(most[j + 1] ?? 0, j < count - 1 ? 1 : 0);
    for (const m of moves.full[j] ?? []) best = Math.max(best, 1 + (most[m.to] ?? 0));
    most[j] = best;
  }
  return most;
}

/** What is left of the work allowed for one frame. */
interface Work {
  moves: number;
  steps: number;
}

/** Every reading of the body as a graph: levels[j] maps lines read to states (a beam keeps it small); undefined when out of work. */
function layout(segments: readonly Segment[], chars: number, work: Work): Map<number, State>[] | undefined {
  const lines = Math.ceil(chars / WRAP);
  const moves = allLineMoves(segments, chars, work);
  if (!moves) return undefined;
  const most = mostLines(moves, segments.length);
  const levels: Map<number, State>[] = Array.from({ length: segments.length + 1 }, () => new Map());
  levels[0]?.set(0, { g: 0, edges: [] });
  const link = (from: number, line: number, g: number, to: number, at: number, cost: number, text: string): void => {
    const level = levels[to];
    if (!level) return;
    const state = level.get(at) ?? { g: Infinity, edges: [] };
    level.set(at, state);
    state.edges.push({ fromJ: from, fromLine: line, cost, text });
    state.g = Math.min(state.g, g + cost);
  };
  for (let j = 0; j < segments.length; j++) {
    const level = levels[j];
    if (!level) continue;
    prune(level, lines - (most[j] ?? 0));
    for (const [line, state] of level) {
      link(j, line, state.g, j + 1, line, (segments[j] as Segment).drop, '');
      if (line >= lines) continue;
      const next = (line === lines - 1 ? moves.last(j) : moves.full[j]) ?? [];
      if ((work.moves -= next.length + 1) < 0) return undefined;
      for (const m of next) link(j, line, state.g, m.to, line + 1, m.cost, m.text);
    }
  }
  return levels;
}

/** Keep the states that can still read every line and are cheap enough. */
function prune(level: Map<number, State>, fewestLines: number): void {
  for (const line of level.keys()) if (line < fewestLines) level.delete(line);
  const kept = [...level].sort((a, b) => a[1].g - b[1].g);
  const best = kept[0]?.[1].g ?? 0;
  for (const [k, [line, state]] of kept.entries()) if (k >= BEAM || state.g > best + SLACK) level.delete(line);
}

/** The kept text of a path back to the start, as a linked list (shared between readings). */
interface PathText {
  readonly text: string;
  readonly next: PathText | undefined;
}

/** Readings of the body from the cheapest on: a best-first walk back from the end (g is an exact bound). */
function* readings(levels: readonly Map<number, State>[], lines: number, work: Work): Generator<{ b64: string; cost: number }> {
  const last = levels.length - 1;
  const end = levels[last]?.get(lines);
  if (!end) return;
  // Costs are small integers and never decrease along the walk: a bucket per total cost.
  type Node = { j: number; line: number; cost: number; path: PathText | undefined };
  const buckets: Node[][] = [];
  const push = (node: Node, f: number): void => void (buckets[f] ??= []).push(node);
  push({ j: last, line: lines, cost: 0, path: undefined }, end.g);
  let f = end.g;
  while (work.steps-- > 0) {
    while (f < buckets.length && !buckets[f]?.length) f++;
    const node = buckets[f]?.pop();
    if (!node) return;
    if (node.j === 0) {
      const parts: string[] = [];
      for (let p = node.path; p; p = p.next) parts.push(p.text);
      yield { b64: parts.join(''), cost: node.cost };
      continue;
    }
    for (const edge of levels[node.j]?.get(node.line)?.edges ?? []) {
      const from = levels[edge.fromJ]?.get(edge.fromLine);
      if (!from) continue;
      const cost = node.cost + edge.cost;
      const path = edge.text ? { text: edge.text, next: node.path } : node.path;
      push({ j: edge.fromJ, line: edge.fromLine, cost, path }, from.g + cost);
      work.steps--;
    }
  }
}

/**
 * Read the body back despite foreign text: try readings from the most plausible on and accept the
 * first one whose bytes match the guest's length and checksum. Without a checksum accept only a
 * reading that guesses nothing: base64 lines kept whole, lines with a non-base64 character dropped.
 */
export function recoverBody(text: string, expected: FrameCheck): DecodedFrame {
  if (!/^\d+$/.test(expected.length)) return { ok: false, reason: 'no byte count to recover the body with' };
  const chars = 4 * Math.ceil(Number(expected.length) / 3);
  const segments = segmentsOf(text);
  const work = { moves: MAX_MOVES, steps: MAX_STEPS };
  const levels = layout(segments, chars, work);
  if (!levels) return { ok: false, reason: 'too much foreign text inside base64 lines to search' };
  const hasSum = expected.sum !== 'none';
  const budget = Math.min(MAX_READINGS, Math.max(MIN_READINGS, Math.floor(CHECKED_CHARS / Math.max(chars, 1))));
  const seen = new Set<string>();
  for (const reading of readings(levels, Math.ceil(chars / WRAP), work)) {
    if (!hasSum) {
      if (reading.cost > 0) return { ok: false, reason: 'foreign text inside base64 lines, and no checksum to choose a reading' };
      return checkedBody(reading.b64, expected);
    }
    // Different paths can keep the same characters; check each text once.
    const key = createHash('sha1').update(reading.b64).digest('hex');
    if (seen.has(key)) continue;
    seen.add(key);
    const decoded = checkedBody(reading.b64, expected);
    if (decoded.ok) return decoded;
    if (seen.size >= budget) break;
  }
  return { ok: false, reason: `no reading without foreign text matches (${seen.size} tried)` };
}
