// How a command travels through the console and its output comes back intact:
// the script goes in base64 (no quoting, cannot contain a marker), the output comes
// back in base64 between nonce markers with its exit status, a checksum (md5sum, else
// POSIX cksum) and its length; kernel messages and echoed terminal answers are removed first.
// Text that other processes write to the console lands between and inside the base64 lines;
// recoverBody drops it using what the frame knows (alphabet, line width, length, checksum).
// Typing is the cost of a long script (the line editor echoes every character, and each piece
// waits for its ack), so where the guest can gunzip, a long script is typed gzipped.
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { checkedBody, NOT_BASE64, type DecodedFrame, type FrameCheck } from './frame-check.ts';
import { recoverBody } from './frame-recovery.ts';

/** A fresh nonce for markers and check tokens: 12 random hex digits, never typed whole by anything else. */
export const freshNonce = (): string => randomBytes(6).toString('hex');

/** Wraps the inner command, e.g. `(c) => 'nsenter -t 1 -m -n -p -- ' + c` to run in PID 1's namespaces. */
export type ViaWrapper = (innerCommand: string) => string;

/** The lines to type for one command and the markers that frame its output. */
interface FramedCommand {
  /** The fresh nonce in every marker of this command. */
  readonly nonce: string;
  /** Lines that load the script into a shell variable when it is too long for one line; each prints its ack. */
  readonly setup: readonly { readonly line: string; readonly ack: string }[];
  /** The line that runs the script and prints the frame. */
  readonly line: string;
  /** Printed alone before the output. */
  readonly begin: string;
  /** Matches the end line: nonce, exit status, checksum (md5 hex, cksum CRC or "none"), byte length. */
  readonly end: RegExp;
  /** Set when the script travels gzipped: how the output ends when the guest could not unpack it (gzip's CRC caught a typing error); nothing ran. */
  readonly undecoded?: string;
}

/** Options of frameCommand. */
interface FrameOptions {
  readonly via?: ViaWrapper;
  readonly maxLineBytes: number;
  /** The guest's console shell can run `base64 -d | gzip -dc` (systemContextScript checks it): type long scripts gzipped. */
  readonly gzip?: boolean;
}

/**
 * Gzip pays when it saves more typing than the extra gzip process costs the guest: a fork is tens of
 * ms under TCG, a typed character about 0.1-0.4 ms (one echo each, an ack per piece). So only
 * scripts that shrink by this many base64 characters travel gzipped.
 */
export const gzipMinSavingChars = 400;

/** The base64 to type for a script, and whether it is gzipped (pure). */
export function encodeScript(script: string, gzip: boolean): { b64: string; gzipped: boolean } {
  const plain = Buffer.from(script, 'utf8');
  const b64 = plain.toString('base64');
  if (!gzip || b64.length < gzipMinSavingChars) return { b64, gzipped: false };
  // mtime 0 (zlib's default) keeps the bytes a function of the script alone.
  const packed = gzipSync(plain, { level: 9 }).toString('base64');
  return b64.length - packed.length >= gzipMinSavingChars ? { b64: packed, gzipped: true } : { b64, gzipped: false };
}

// Shell variables of the framing; the prefix keeps them out of the way of user scripts.
const OUT = '__kt_o';
const RC = '__kt_r';
const SRC = '__kt_s';
const SUM = '__kt_c';
const LEN = '__kt_l';
const END = '__kt_e';
const SCRIPT = '__kt_x';

/** The command that unpacks the script and runs it (in the via wrapper); gzipped, a failed unpack prints `undecoded`, nothing runs. */
function scriptCommand(source: string, via: ViaWrapper | undefined, nonce: string, gzipped: boolean): string {
  // The script is an argument, not stdin, and stdin is /dev/null: a command that reads
  // stdin must neither eat the script nor the keys typed next.
  if (!gzipped) {
    const inner = `sh -c "$(printf %s ${source} | base64 -d)"`;
    return via ? via(inner) : inner;
  }
  // The unpacking runs in the console shell (where gzip was found), the script where via says.
  // A pipeline's status is gzip's: a CRC or format error must not run a truncated script.
  const inner = `sh -c "$${SCRIPT}"`;
  return `if ${SCRIPT}=$(printf %s ${source} | base64 -d | gzip -dc); then ${via ? via(inner) : inner}; else printf '%s_%s' ${nonce} undecoded; fi`;
}

/** The framing line around a script source expression (a quoted literal or a variable). */
function runLine(nonce: string, source: string, via: ViaWrapper | undefined, cleanup: string, gzipped: boolean): string {
  const command = scriptCommand(source, via, nonce, gzipped);
  // $(...) strips trailing newlines, so the status is appended inside and split off after.
  return (
    `${OUT}=$( { ${command}; } </dev/null 2>&1; printf _%s $? ); ${RC}=\${${OUT}##*_}; ${OUT}=\${${OUT}%_*}; ` +
    `printf '%s_%s\\n' ${nonce} b; printf %s "$${OUT}" | base64; ` +
    // Integrity: md5sum where the guest has it (Debian's busybox has no cksum), else cksum, else none;
    // the byte count from wc -c. Either may be "none" on a very bare guest.
    `${SUM}=$(printf %s "$${OUT}" | md5sum 2>/dev/null || printf %s "$${OUT}" | cksum 2>/dev/null); ${SUM}=\${${SUM}%% *}; ` +
    `${LEN}=$(printf %s "$${OUT}" | wc -c 2>/dev/null); ${LEN}=\${${LEN}##* }; ` +
    // The end line goes out twice: a kernel message landing inside one copy leaves the other whole.
    `${END}=$(printf '%s_%s_%s_%s_%s' ${nonce} e "$${RC}" "\${${SUM}:-none}" "\${${LEN}:-none}"); printf '%s\\n%s\\n' "$${END}" "$${END}"; ` +
    `unset ${cleanup} ${SUM} ${LEN} ${END}`
  );
}

/** Frame a script; throws a RangeError when even the pieces would not fit in `maxLineBytes` lines. */
export function frameCommand(script: string, nonce: string, options: FrameOptions): FramedCommand {
  const { b64, gzipped } = encodeScript(script, options.gzip ?? false);
  // Printed by the guest alone: the nonce is fresh, so no script can print it, and it is never typed whole.
  const undecoded = gzipped ? `${nonce}_undecoded` : undefined;
  const begin = `${nonce}_b`;
  const end = new RegExp(`${nonce}_e_(\\d+)_([0-9a-f]{32}|\\d+|none)_(\\d+|none)\\n`);
  const marks = { nonce, begin, end, ...(undecoded ? { undecoded } : {}) };
  const single = runLine(nonce, `'${b64}'`, options.via, `${OUT} ${RC}`, gzipped);
  // +1 for the newline that ends the typed line.
  if (Buffer.byteLength(single) + 1 <= options.maxLineBytes) return { ...marks, setup: [], line: single };

  const line = runLine(nonce, `"$${SRC}"`, options.via, `${OUT} ${RC} ${SRC}`, gzipped);
  const pieceOverhead = `${SRC}="$${SRC}"''; printf '%s_%s\\n' ${nonce} c000000`.length + 1;
  const pieceSize = options.maxLineBytes - pieceOverhead;
  if (Buffer.byteLength(line) + 1 > options.maxLineBytes || pieceSize < 64) {
    throw new RangeError(`the framing line needs more than maxLineBytes=${options.maxLineBytes} bytes; shorten the via wrapper or raise the limit`);
  }
  const setup: { line: string; ack: string }[] = [];
  for (let i = 0; i * pieceSize < b64.length; i++) {
    const piece = b64.slice(i * pieceSize, (i + 1) * pieceSize);
    const append = i === 0 ? `${SRC}='${piece}'` : `${SRC}="$${SRC}"'${piece}'`;
    setup.push({ line: `${append}; printf '%s_%s\\n' ${nonce} c${i}`, ack: `${nonce}_c${i}\n` });
  }
  return { ...marks, setup, line };
}

/** A literal marker (an ack), also matched when another writer's text split it once (up to 512 characters). */
export function gappedMarker(marker: string): RegExp {
  const quote = (t: string): string => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const ways = [quote(marker)];
  // Every split keeps either a "_" (never in the echo of the typed line) or the marker's end in one part,
  // so the typed line's echo cannot complete a match on its own.
  for (let k = 1; k < marker.length; k++) ways.push(`${quote(marker.slice(0, k))}[^]{1,512}?${quote(marker.slice(k))}`);
  return new RegExp(ways.join('|'));
}

// A kernel message: "[   12.345678] text" up to its newline, even when it starts mid-line.
const PRINTK = /\[\s*\d+\.\d+\][^\n]*(?:\n|$)/g;
// An answer to a terminal query that the tty echoed (ECHOCTL shows ESC as "^["), e.g. "^[[1;1R":
// when the answer arrives after the line was entered, the tty is back in cooked mode and echoes it
// into the running command's output. Its digits and letters would otherwise pass as base64.
const ECHOED_ESCAPE = /\^\[\[[0-9;?]*[A-Za-z]/g;
// Escape sequences and control characters of raw console text (the engine already drops them;
// decodeFrame may get raw text): CSI sequences, two-character escapes, C0 controls but \t and \n.
const ANSI_ESCAPE = /\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])/g;
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f]/g;

/** Remove kernel messages (they may start mid-line) and echoed terminal answers from console text. */
export function withoutPrintk(text: string): string {
  return text.replace(PRINTK, '').replace(ECHOED_ESCAPE, '');
}

/** Decode the text between the begin marker and the end line; check length and checksum when sent. */
export function decodeFrame(body: string, expected: FrameCheck): DecodedFrame {
  const text = withoutPrintk(body.replace(ANSI_ESCAPE, '').replace(CONTROLS, ''));
  // Fast path: with the byte count known, a right count after stripping proves no foreign base64 character got in.
  const plain = checkedBody(text.replace(NOT_BASE64, ''), expected);
  if (plain.ok || !/^\d+$/.test(expected.length)) return plain;
  const recovered = recoverBody(text, expected);
  return recovered.ok ? recovered : { ok: false, reason: `${plain.reason}; ${recovered.reason}` };
}
