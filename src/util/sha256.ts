// sha256 as hex: of data in memory, or of a file, streamed (images are tens of megabytes).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Hex sha256 of `data`. */
export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Hex sha256 of the file at `path`. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
