// What every format builder gets: the built image, its manifest, and where to write.
import { basename } from 'node:path';
import type { BuiltImage } from '../builder.ts';
import type { ImageManifest } from '../manifest.ts';

export interface FormatContext {
  image: BuiltImage;
  manifest: ImageManifest;
  /** Image name: output files are NAME-kernel, NAME.iso, ... */
  name: string;
  /** Folder the finished files go in (renamed into place by the caller). */
  out: string;
  /** Scratch folder, removed afterwards. */
  scratch: string;
  log: (line: string) => void;
}

export function imageName(image: BuiltImage): string {
  return basename(image.prefix);
}
