// A few bytes of a file at an offset (magic numbers, headers); shorter when the file ends first.
import { closeSync, openSync, readSync } from 'node:fs';

export function readBytes(path: string, length: number, offset = 0): Buffer {
  const buffer = Buffer.alloc(length);
  const fd = openSync(path, 'r');
  try {
    return buffer.subarray(0, readSync(fd, buffer, 0, length, offset));
  } finally {
    closeSync(fd);
  }
}
