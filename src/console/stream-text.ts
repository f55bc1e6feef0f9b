// Byte stream → clean text, incrementally: UTF-8 safe across chunk splits, escape
// sequences removed even when split across chunks, terminal queries reported.
import { StringDecoder } from 'node:string_decoder';

/** A question the guest asked the terminal; a real terminal would answer it. */
export type TerminalQuery = 'cursor-position' | 'status' | 'device-attributes';

/** What one chunk of bytes turned into. */
interface CleanChunk {
  readonly text: string;
  readonly queries: readonly TerminalQuery[];
}

/** Row and column reported for a cursor position query. */
export interface CursorReport {
  readonly row: number;
  readonly col: number;
}

/** The bytes a terminal sends back for a query (cursor report, "OK" status, VT100 attributes). */
export function terminalAnswer(query: TerminalQuery, cursor: CursorReport = { row: 1, col: 1 }): string {
  switch (query) {
    case 'cursor-position':
      return `\x1b[${cursor.row};${cursor.col}R`;
    case 'status':
      return '\x1b[0n';
    case 'device-attributes':
      return '\x1b[?1;0c';
  }
}

const ESC = '\x1b';
// An unfinished escape longer than these is garbage, not a sequence to wait for.
const MAX_CSI_CHARS = 64;
const MAX_STRING_CHARS = 4096;
// Every C0 control except \t and \n, DEL, and C1 controls; \r goes too (\r\n → \n, lone \r dropped).
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

type Parsed =
  | { kind: 'incomplete' }
  // `end` is the index just past what to skip; `query` set when the sequence asks something.
  | { kind: 'skip'; end: number; query?: TerminalQuery };

function queryOf(params: string, final: string): TerminalQuery | undefined {
  if (final === 'n' && params === '6') return 'cursor-position';
  if (final === 'n' && params === '5') return 'status';
  if (final === 'c' && (params === '' || params === '0')) return 'device-attributes';
  return undefined;
}

function isIn(ch: string | undefined, lo: number, hi: number): boolean {
  if (ch === undefined) return false;
  const c = ch.charCodeAt(0);
  return c >= lo && c <= hi;
}

// Parse the escape sequence starting at s[i] (an ESC). Follows ECMA-48's shapes:
// CSI (ESC [ params intermediates final), strings (OSC/DCS/SOS/PM/APC ended by BEL or ESC \),
// and short escapes (ESC intermediates final).
function parseEscape(s: string, i: number): Parsed {
  const next = s[i + 1];
  if (next === undefined) return { kind: 'incomplete' };
  if (next === '[') {
    let j = i + 2;
    while (isIn(s[j], 0x30, 0x3f)) j++;
    const params = s.slice(i + 2, j);
    while (isIn(s[j], 0x20, 0x2f)) j++;
    const final = s[j];
    if (final === undefined) return j - i > MAX_CSI_CHARS ? { kind: 'skip', end: i + 1 } : { kind: 'incomplete' };
    if (isIn(final, 0x40, 0x7e)) return { kind: 'skip', end: j + 1, query: queryOf(params, final) };
    return { kind: 'skip', end: j }; // malformed: drop what we parsed, keep the odd character
  }
  if (next === ']' || next === 'P' || next === 'X' || next === '^' || next === '_') {
    for (let j = i + 2; j < s.length; j++) {
      const c = s[j];
      if (c === '\x07') return { kind: 'skip', end: j + 1 };
      if (c === ESC) {
        if (j + 1 >= s.length) return { kind: 'incomplete' };
        // ESC \ terminates; any other ESC aborts the string, as terminals do.
        return s[j + 1] === '\\' ? { kind: 'skip', end: j + 2 } : { kind: 'skip', end: j };
      }
    }
    return s.length - i > MAX_STRING_CHARS ? { kind: 'skip', end: i + 2 } : { kind: 'incomplete' };
  }
  if (isIn(next, 0x20, 0x2f)) {
    let j = i + 1;
    while (isIn(s[j], 0x20, 0x2f)) j++;
    if (j >= s.length) return j - i > MAX_CSI_CHARS ? { kind: 'skip', end: i + 1 } : { kind: 'incomplete' };
    return isIn(s[j], 0x30, 0x7e) ? { kind: 'skip', end: j + 1 } : { kind: 'skip', end: j };
  }
  if (isIn(next, 0x30, 0x7e)) return { kind: 'skip', end: i + 2 }; // ESC 7, ESC c, ESC M …
  return { kind: 'skip', end: i + 1 }; // a lone ESC before something else: drop the ESC only
}

/** Incremental cleaner: feed chunks with push(), call end() once when the stream closes. */
export class StreamText {
  readonly #decoder = new StringDecoder('utf8');
  // Decoded text held back because it may be the start of an escape sequence.
  #held = '';

  /** Clean the next chunk; an escape sequence cut at the chunk's end is held for the next one. */
  push(chunk: Buffer | string): CleanChunk {
    const decoded = typeof chunk === 'string' ? chunk : this.#decoder.write(chunk);
    return this.#clean(this.#held + decoded, false);
  }

  /** Flush what is held: bytes of a cut UTF-8 character become U+FFFD, a cut escape is dropped. */
  end(): CleanChunk {
    return this.#clean(this.#held + this.#decoder.end(), true);
  }

  #clean(s: string, final: boolean): CleanChunk {
    this.#held = '';
    const queries: TerminalQuery[] = [];
    if (!s.includes(ESC)) return { text: s.replace(CONTROLS, ''), queries };
    const parts: string[] = [];
    let start = 0;
    for (let i = s.indexOf(ESC); i !== -1; i = s.indexOf(ESC, start)) {
      parts.push(s.slice(start, i));
      const parsed = parseEscape(s, i);
      if (parsed.kind === 'incomplete') {
        if (!final) this.#held = s.slice(i);
        start = s.length;
        break;
      }
      if (parsed.query) queries.push(parsed.query);
      start = parsed.end;
    }
    parts.push(s.slice(start));
    return { text: parts.join('').replace(CONTROLS, ''), queries };
  }
}
