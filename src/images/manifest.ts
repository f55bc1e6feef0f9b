// manifest.json next to every built image: what went in, and the sha256 and size of every output.
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { sha256Hex } from '../util/sha256.ts';

interface OutputFile {
  file: string;
  sha256: string;
  size: number;
}

export interface ImageManifest {
  schemaVersion: 1;
  name: string;
  description: string;
  definition: string;
  target: string;
  debianArch: string;
  suite: string;
  format: string;
  key: string;
  builderVersion: string;
  kernelVersion: string;
  /** The initramfs's (lz4 where the kernel unpacks it). */
  compression: string;
  /** The squashfs root's of the disk formats (what the kernel reads). */
  rootCompression: string;
  cmdline: string;
  modules: { loaded: string[]; builtin: string[]; missing: string[] };
  packages: { name: string; version: string; arch: string; sha256: string; from: string }[];
  outputs: Record<string, OutputFile>;
  sizeBytes: number;
  buildSeconds: number;
  builtAt: string;
}

/** sha256 and size of one output file (named by basename in the manifest). */
export function describeOutput(path: string): OutputFile {
  return { file: basename(path), sha256: sha256Hex(readFileSync(path)), size: statSync(path).size };
}

/** Read a manifest written by the builder. */
export function readManifest(path: string): ImageManifest {
  return JSON.parse(readFileSync(path, 'utf8')) as ImageManifest;
}
