// A reader that goes away (`kittest run | head -1`) must end the printing, not the run: an unhandled
// EPIPE would kill kittest before it stops its machines and writes its reports.

/** Once `stream` fails (EPIPE, or any write error), drop what is written to it instead of crashing. */
export function dropOutputOnceClosed(stream: NodeJS.WriteStream): void {
  stream.on('error', () => {
    stream.write = (() => true) as typeof stream.write;
  });
}
