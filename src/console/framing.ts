// How a command travels through the console and its output comes back intact:
// the script goes in base64 (no quoting, cannot contain a marker), the output comes
// back in base64 between nonce markers with its exit status, a checksum (md5sum, else
// POSIX cksum) and its length; kernel messages and echoed terminal answers are removed first.
import { createHash } from 'node:crypto';
import { posixCksum } from './cksum.ts';

/** Wraps the inner command, e.g. `(c) => 'nsenter -t 1 -m -n -p -- ' + c` to run in PID 1's namespaces. */
export type ViaWrapper = (innerCommand: string) => string;

/** The lines to type for one command and the markers that frame its output. */
export interface FramedCommand {
  /** Lines that load the script into a shell variable when it is too long for one line; each prints its ack. */
  readonly setup: readonly { readonly line: string; readonly ack: string }[];
  /** The line that runs the script and prints the frame. */
  readonly line: string;
  /** Printed alone before the output. */
  readonly begin: string;
  /** Matches the end line: nonce, exit status, checksum (md5 hex, cksum CRC or "none"), byte length. */
  readonly end: RegExp;
}

// Shell variables of the framing; the prefix keeps them out of the way of user scripts.
const OUT = '__kt_o';
const RC = '__kt_r';
const SRC = '__kt_s';
const SUM = '__kt_c';
const LEN = '__kt_l';
const END = '__kt_e';

/** The framing line around a script source expression (a quoted literal or a variable). */
function runLine(nonce: string, source: string, via: ViaWrapper | undefined, cleanup: string): string {
  // The script is an argument, not stdin, and stdin is /dev/null: a command that reads
  // stdin must neither eat the script nor the keys typed next.
  const inner = `sh -c "$(printf %s ${source} | base64 -d)"`;
  const command = via ? via(inner) : inner;
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
export function frameCommand(script: string, nonce: string, options: { via?: ViaWrapper; maxLineBytes: number }): FramedCommand {
  const b64 = Buffer.from(script, 'utf8').toString('base64');
  const begin = `${nonce}_b`;
  const end = new RegExp(`${nonce}_e_(\\d+)_([0-9a-f]{32}|\\d+|none)_(\\d+|none)\\n`);
  const single = runLine(nonce, `'${b64}'`, options.via, `${OUT} ${RC}`);
  // +1 for the newline that ends the typed line.
  if (Buffer.byteLength(single) + 1 <= options.maxLineBytes) return { setup: [], line: single, begin, end };

  const line = runLine(nonce, `"$${SRC}"`, options.via, `${OUT} ${RC} ${SRC}`);
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
  return { setup, line, begin, end };
}

// A kernel message: "[   12.345678] text" up to its newline, even when it starts mid-line.
const PRINTK = /\[\s*\d+\.\d+\][^\n]*(?:\n|$)/g;
// An answer to a terminal query that the tty echoed (ECHOCTL shows ESC as "^["), e.g. "^[[1;1R":
// when the answer arrives after the line was entered, the tty is back in cooked mode and echoes it
// into the running command's output. Its digits and letters would otherwise pass as base64.
const ECHOED_ESCAPE = /\^\[\[[0-9;?]*[A-Za-z]/g;
const NOT_BASE64 = /[^A-Za-z0-9+/=]/g;

/** The outcome of reading a frame's body back. */
export type DecodedFrame = { readonly ok: true; readonly bytes: Buffer } | { readonly ok: false; readonly reason: string };

/** Remove kernel messages (they may start mid-line) and echoed terminal answers from console text. */
export function withoutPrintk(text: string): string {
  return text.replace(PRINTK, '').replace(ECHOED_ESCAPE, '');
}

/** What the guest sent to check the body: an md5 (32 hex digits), a POSIX cksum CRC, or nothing. */
export interface FrameCheck {
  readonly sum: string;
  readonly length: string;
}

/** Decode the text between the begin marker and the end line; check length and checksum when sent. */
export function decodeFrame(body: string, expected: FrameCheck): DecodedFrame {
  const b64 = withoutPrintk(body).replace(NOT_BASE64, '');
  if (b64.length % 4 !== 0 || /=[^=]/.test(b64)) {
    return { ok: false, reason: `base64 body is malformed (${b64.length} characters after cleanup)` };
  }
  const bytes = Buffer.from(b64, 'base64');
  if (/^\d+$/.test(expected.length) && bytes.length !== Number(expected.length)) {
    return { ok: false, reason: `length mismatch: decoded ${bytes.length} bytes, guest sent ${expected.length}` };
  }
  if (/^[0-9a-f]{32}$/.test(expected.sum)) {
    const md5 = createHash('md5').update(bytes).digest('hex');
    if (md5 !== expected.sum) return { ok: false, reason: `md5 mismatch: decoded ${md5}, guest sent ${expected.sum}` };
  } else if (/^\d+$/.test(expected.sum)) {
    const crc = posixCksum(bytes);
    if (crc !== Number(expected.sum)) return { ok: false, reason: `cksum mismatch: decoded ${crc}, guest sent ${expected.sum}` };
  }
  return { ok: true, bytes };
}
