// Checking a frame's body against what the guest sent about it (byte count, md5 or cksum).
import { createHash } from 'node:crypto';
import { posixCksum } from './cksum.ts';

export const NOT_BASE64 = /[^A-Za-z0-9+/=]/g;
export const FIRST_NOT_BASE64 = /[^A-Za-z0-9+/=]/;

/** The outcome of reading a frame's body back. */
export type DecodedFrame = { readonly ok: true; readonly bytes: Buffer } | { readonly ok: false; readonly reason: string };

/** What the guest sent to check the body: an md5 (32 hex digits), a POSIX cksum CRC, or nothing. */
export interface FrameCheck {
  readonly sum: string;
  readonly length: string;
}

export /** Decode base64 and check it against the length and checksum the guest sent. */
function checkedBody(b64: string, expected: FrameCheck): DecodedFrame {
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

// ---- Recovery from foreign text -------------------------------------------------------------
// The guest's base64 prints lines of WRAP characters, the last one shorter, each ending in a newline.
