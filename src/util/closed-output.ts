// A reader that goes away (`kittest run | head -1`) must end the printing, not the run: an unhandled
// EPIPE would kill kittest before it stops its machines and writes its reports.

/** Once `stream` fails (EPIPE, or any write error), drop what is written to it instead of crashing. */
export function dropOutputOnceClosed(stream: NodeJS.WriteStream): void {
  stream.on('error', () => {
    // process.stdout is never destroyed: without this every later write would fail (and emit) again.
    stream.write = ((_chunk: unknown, encoding?: unknown, done?: unknown) => {
      const callback = typeof encoding === 'function' ? encoding : done;
      if (typeof callback === 'function') queueMicrotask(() => callback());
      return true;
    }) as typeof stream.write;
  });
}
