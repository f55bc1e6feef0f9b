// Colour for the terminal, in one place: honours NO_COLOR, FORCE_COLOR and whether the stream is a TTY.
import { Chalk, type ChalkInstance } from 'chalk';

/** A chalk instance for `stream`: plain text when it is not a TTY or NO_COLOR is set. */
export function colorFor(stream: NodeJS.WriteStream = process.stdout, env = process.env): ChalkInstance {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return new Chalk({ level: 0 });
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return new Chalk({ level: 1 });
  return new Chalk({ level: stream.isTTY ? 1 : 0 });
}
