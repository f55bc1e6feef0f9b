// kittest build [--arch A[,B...]|all] [--image FILE] [--format F[,F...]|all]: the CLI face of the image builder.
import { requirePrintablePath } from '../util/path-options.ts';
import { build } from './build.ts';

/** Build the images; one line per image with its size. */
export async function buildCommand(values: Record<string, unknown>): Promise<number> {
  if (typeof values.image === 'string') requirePrintablePath('--image', values.image);
  const arch = typeof values.arch === 'string' ? values.arch.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  await build({ arch: !arch || arch.includes('all') ? 'all' : arch, image: typeof values.image === 'string' ? values.image : undefined, format: typeof values.format === 'string' ? values.format : undefined });
  return 0;
}
