// The user's terminal on a machine's serial console: the terminal in raw mode, guest bytes escaped
// on their way to it (guest output is untrusted), keys typed going to the guest, Ctrl-] leaving.
// `kittest shell` (a machine booted for the person) and `kittest run --keep-failed` (a machine that
// just failed a case) attach through here; what happens to the machine afterwards is theirs to say.
import { StreamText } from '../console/stream-text.ts';
import type { MachineExit } from '../qemu/machine.ts';
import { onInterruptExit } from '../util/signals.ts';
import { safeForTerminal } from '../util/terminal-safe.ts';
import type { BootSession } from './session.ts';

/** The key that leaves the console (as telnet's escape): Ctrl-]. */
const CTRL_RIGHT_BRACKET = 0x1d;

interface AttachOptions {
  /** Where the keys come from (default process.stdin); put in raw mode while attached when it is a TTY. */
  readonly input?: NodeJS.ReadStream;
  /** Where the guest's output goes (default process.stdout). */
  readonly output?: NodeJS.WritableStream;
  /** Leave when this aborts (SIGTERM, or a Ctrl-C from another terminal). */
  readonly signal?: AbortSignal;
  /** Bytes to type once attached (a newline, so a shell that printed its prompt long ago shows it again). */
  readonly type?: string;
}

/** How the person left the console. */
interface Detached {
  /** `left`: Ctrl-]; `input-ended`: stdin closed; `interrupted`: the signal aborted; `powered-off`: QEMU ended by itself. */
  readonly how: 'left' | 'input-ended' | 'interrupted' | 'powered-off';
  /** QEMU's end, when it ended by itself while attached (the guest powered off, QEMU crashed). */
  readonly exit?: MachineExit;
}

/** Keep guest output printable but let line structure through. */
function forTerminal(text: string): string {
  return safeForTerminal(text.replace(/\r/g, ''));
}

/**
 * Attach the terminal to `session`'s console until the person presses Ctrl-], stdin ends, `signal`
 * aborts or QEMU ends. The terminal is restored before this resolves (and on a second signal, which
 * exits kittest at once); the machine is left running: the caller stops it.
 */
export async function attachTerminal(session: BootSession, options: AttachOptions = {}): Promise<Detached> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const { machine } = session;
  // The console engine answers the guest's terminal queries (cursor position) itself; the
  // person's terminal only ever sees the text, with control characters escaped.
  const text = new StreamText();
  const untap = session.tapOutput((chunk) => {
    const clean = forTerminal(text.push(chunk).text);
    if (clean) output.write(clean);
  });
  const raw = Boolean(input.isTTY);
  if (raw) input.setRawMode(true);
  // A second signal exits at once: the terminal must not stay raw.
  const forgetRaw = onInterruptExit(() => raw && input.setRawMode(false));
  let onData: ((data: Buffer) => void) | undefined;
  let onEnd: (() => void) | undefined;
  let onAbort: (() => void) | undefined;
  const leave = new Promise<Detached['how']>((resolveLeave) => {
    onAbort = () => resolveLeave('interrupted');
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    onData = (data: Buffer) => {
      const at = data.indexOf(CTRL_RIGHT_BRACKET);
      if (at >= 0) {
        if (at > 0) machine.write(data.subarray(0, at));
        resolveLeave('left');
        return;
      }
      machine.write(data);
    };
    onEnd = () => resolveLeave('input-ended');
    input.on('data', onData);
    input.on('end', onEnd);
  });
  input.resume();
  if (options.type) machine.write(options.type);
  try {
    const ended = await Promise.race([leave, machine.exited]);
    return typeof ended === 'string' ? { how: ended } : { how: 'powered-off', exit: ended };
  } finally {
    if (raw) input.setRawMode(false);
    forgetRaw();
    if (onData) input.off('data', onData);
    if (onEnd) input.off('end', onEnd);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
    input.pause();
    untap();
  }
}
