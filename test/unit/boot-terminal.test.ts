// attachTerminal without QEMU: keys to the machine, guest bytes escaped to the terminal, Ctrl-]
// leaving, and the terminal given back as it was (raw mode off, no listener left behind).
import test from 'ava';
import { PassThrough } from 'node:stream';
import type { BootSession } from '../../src/boot/session.ts';
import { attachTerminal } from '../../src/boot/terminal.ts';
import type { MachineExit } from '../../src/qemu/machine.ts';

function fakes() {
  const typed: string[] = [];
  const taps = new Set<(chunk: Buffer) => void>();
  let exit: (e: MachineExit) => void = () => {};
  const exited = new Promise<MachineExit>((resolve) => (exit = resolve));
  const session = {
    machine: { write: (data: string | Buffer) => typed.push(data.toString()), exited },
    tapOutput: (listener: (chunk: Buffer) => void) => (taps.add(listener), () => void taps.delete(listener)),
  } as unknown as BootSession;
  const rawModes: boolean[] = [];
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: (on: boolean) => (rawModes.push(on), input) }) as unknown as NodeJS.ReadStream;
  let shown = '';
  const output = Object.assign(new PassThrough(), { write: (text: string) => ((shown += text), true) }) as unknown as NodeJS.WritableStream;
  const guest = (text: string) => taps.forEach((tap) => tap(Buffer.from(text)));
  return { session, typed, taps, rawModes, input, output, guest, shown: () => shown, exit };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('keys go to the guest, its output is escaped, Ctrl-] leaves and the terminal is given back', async (t) => {
  const f = fakes();
  const attached = attachTerminal(f.session, { input: f.input, output: f.output, type: '\n' });
  t.deepEqual(f.typed, ['\n'], 'the newline asked for is typed first');
  f.guest('getty:/# \x1b]0;title\x07\x1b[2Jhi\r\n');
  f.input.write('ls\r');
  await tick();
  f.input.write(Buffer.from('x\x1dignored'));
  const detached = await attached;
  t.deepEqual(detached, { how: 'left' });
  t.deepEqual(f.typed, ['\n', 'ls\r', 'x'], 'what comes before Ctrl-] in the same chunk is typed, nothing after it');
  t.is(f.shown(), 'getty:/# hi\n', 'escape sequences from the guest never reach the terminal');
  t.deepEqual(f.rawModes, [true, false]);
  t.is(f.taps.size, 0, 'the output tap is removed');
  t.is(f.input.listenerCount('data'), 0, 'no key listener is left on stdin');
  t.is(f.input.listenerCount('end'), 0);
  f.guest('later\n');
  t.is(f.shown(), 'getty:/# hi\n', 'nothing reaches the terminal once detached');
});

test('QEMU ending while attached detaches with its exit, and an abort detaches as an interrupt', async (t) => {
  const f = fakes();
  const attached = attachTerminal(f.session, { input: f.input, output: f.output });
  const exit = { code: 0, signal: null, stoppedByHarness: false, stderr: '' } as unknown as MachineExit;
  f.exit(exit);
  t.deepEqual(await attached, { how: 'powered-off', exit });
  t.deepEqual(f.rawModes, [true, false]);

  const g = fakes();
  const controller = new AbortController();
  const interrupted = attachTerminal(g.session, { input: g.input, output: g.output, signal: controller.signal });
  controller.abort('SIGTERM');
  t.deepEqual(await interrupted, { how: 'interrupted' });
  t.is(g.input.listenerCount('data'), 0);
});
