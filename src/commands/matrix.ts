// kittest matrix --format github [--shards N]: print the CI job matrix as one line of JSON.
import { loadTargets } from '../config/targets.ts';
import { UsageError } from '../errors.ts';
import { githubMatrix } from '../matrix/github-matrix.ts';

interface MatrixOptions {
  format?: string;
  shards?: string;
}

const formats = ['github'];

/** Print the matrix; one line, so `echo "matrix=$(kittest matrix --format github)" >> "$GITHUB_OUTPUT"` works. */
export async function matrixCommand(values: Record<string, unknown>): Promise<number> {
  const options = values as MatrixOptions;
  if (options.format === undefined) throw new UsageError(`matrix: --format is required (formats: ${formats.join(', ')})`);
  if (!formats.includes(options.format)) throw new UsageError(`matrix: unknown --format "${options.format}" (formats: ${formats.join(', ')})`);
  let shards: number | undefined;
  if (options.shards !== undefined) {
    if (!/^\d+$/.test(options.shards) || Number(options.shards) < 1) throw new UsageError(`--shards must be an integer >= 1, got "${options.shards}"`);
    shards = Number(options.shards);
  }
  process.stdout.write(`${JSON.stringify(githubMatrix(loadTargets(), shards))}\n`);
  return 0;
}
