// A fake guest for the console tests: a tty that echoes what it is sent, a real host
// /bin/sh behind it (base64, cksum and tr exist on the host as in busybox), and an
// output path that adds noise (colours, ESC[6n, kernel messages mid-line, another writer's
// text) and cuts everything into chunks at awkward places.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

/** How the fake guest misbehaves. */
export interface FakeGuestOptions {
  /** The shell starts reading input this long after creation; input before that is echoed but lost. */
  readonly startAfterMs?: number;
  /** Never start a shell (for probe timeouts). */
  readonly neverStart?: boolean;
  /** 'random': 1–9 byte chunks (seeded); 'bytes': one byte per chunk. */
  readonly chunking?: 'random' | 'bytes';
  /** Colour the prompt and ask for the cursor position (ESC[6n) at every prompt, like busybox ash. */
  readonly noise?: boolean;
  /** Insert a kernel message in the middle of every base64 run of output. */
  readonly printk?: boolean;
  /** Corrupt the base64 body of this many frames. */
  readonly corruptFrames?: number;
  /** Change one character of the quoted base64 in this many typed lines (a line editor that mangled input). */
  readonly garbleTyped?: number;
  /**
   * Another writer on the console (a chatty service): called before each character the shell
   * prints, with the shell's own text of the current line so far; what it returns is printed
   * there first, escape codes and "\r\n" included.
   */
  readonly chatter?: (line: string) => string | undefined;
  readonly seed?: number;
}

const PROMPT_NOISE = String.raw`printf '\033[1;32m/ # \033[0m\033[6n'`;
const PROMPT_PLAIN = String.raw`printf '/ # '`;
// A long run of base64 characters: only output bodies have them (markers have '_').
const BASE64_RUN = /[A-Za-z0-9+/]{24,}/;

/** Simulated serial console with a shell behind it. */
export class FakeGuest {
  /** Everything the engine wrote to the guest. */
  readonly received: string[] = [];
  /** Lines the shell actually executed. */
  readonly executed: string[] = [];
  /** Input that arrived before the shell started (lost). */
  lost = '';
  readonly #deliver: (chunk: Buffer) => void;
  readonly #options: FakeGuestOptions;
  #queue: Buffer[] = [];
  #head = 0;
  #pumping = false;
  #sh: ChildProcessWithoutNullStreams | undefined;
  #started = false;
  #line = '';
  #rand: number;
  #corruptLeft: number;
  #garbleLeft: number;
  #frameOpen = false;
  #chatLine = '';
  #startTimer: NodeJS.Timeout | undefined;

  constructor(deliver: (chunk: Buffer) => void, options: FakeGuestOptions = {}) {
    this.#deliver = deliver;
    this.#options = options;
    this.#rand = options.seed ?? 12345;
    this.#corruptLeft = options.corruptFrames ?? 0;
    this.#garbleLeft = options.garbleTyped ?? 0;
    // Boot noise before the shell: kernel lines, a split UTF-8 character, colours.
    this.#emit(Buffer.from('[    0.000000] Linux version 6.1.0 (fake)\r\n\x1b[0mBooting \u2603 guest…\r\n'));
    if (!options.neverStart) this.#startTimer = setTimeout(() => this.#start(), options.startAfterMs ?? 0);
  }

  /** Whether the shell runs. */
  get started(): boolean {
    return this.#started;
  }

  /** The engine's `write`: bytes typed on the console. */
  input(data: string): void {
    this.received.push(data);
    for (const ch of data) {
      // The tty echoes (control characters as ^X, like ECHOCTL); \r becomes a new line.
      if (ch === '\r' || ch === '\n') this.#emit(Buffer.from('\r\n'));
      else if (ch < ' ') this.#emit(Buffer.from(`^${String.fromCharCode(ch.charCodeAt(0) + 64)}`));
      else this.#emit(Buffer.from(ch));
      if (!this.#started) {
        this.lost += ch;
        continue;
      }
      if (ch === '\r' || ch === '\n') {
        // ash's line editor swallows answers to its cursor query.
        const line = this.#line.replace(/\x1b\[\d+;\d+R/g, '');
        this.#line = '';
        this.#execute(line);
      } else if (ch === '\x03') {
        this.#line = '';
      } else {
        this.#line += ch;
      }
    }
  }

  /** Print raw bytes on the console as the kernel would (not through the shell). */
  kernel(text: string): void {
    this.#emit(Buffer.from(text));
  }

  /** Stop the shell. */
  close(): void {
    clearTimeout(this.#startTimer);
    this.#sh?.stdin.end();
    this.#sh?.kill();
  }

  #start(): void {
    this.#started = true;
    const sh = spawn('/bin/sh', [], { stdio: 'pipe' });
    this.#sh = sh;
    sh.stdout.on('data', (d: Buffer) => this.#emit(this.#mangle(d)));
    sh.stderr.on('data', (d: Buffer) => this.#emit(d));
    sh.stdin.write(`${this.#options.noise ? PROMPT_NOISE : PROMPT_PLAIN}\n`);
  }

  #execute(typed: string): void {
    const literal = /'[A-Za-z0-9+/=]{24,}'/.exec(typed);
    let line = typed;
    if (literal && this.#garbleLeft > 0) {
      this.#garbleLeft--;
      // The middle: a gzip header's mtime bytes (the literal's start) may change harmlessly.
      const at = literal.index + Math.floor(literal[0].length / 2);
      line = line.slice(0, at) + (line[at] === 'A' ? 'B' : 'A') + line.slice(at + 1);
    }
    this.executed.push(line);
    // The prompt printed after each command is realistic noise between frames.
    this.#sh?.stdin.write(`${line}\n${this.#options.noise ? PROMPT_NOISE : PROMPT_PLAIN}\n`);
  }

  // Corrupt or interleave shell output (latin1 keeps every byte as one character).
  #mangle(data: Buffer): Buffer {
    let text = data.toString('latin1');
    if (/_b\n/.test(text)) this.#frameOpen = true;
    const run = BASE64_RUN.exec(text);
    if (run) {
      const at = run.index + 10;
      if (this.#frameOpen && this.#corruptLeft > 0) {
        this.#corruptLeft--;
        this.#frameOpen = false;
        text = text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
      }
      if (this.#options.printk) {
        text = `${text.slice(0, at)}[   12.345678] virtio_net virtio0 eth0: renamed from eth0\n${text.slice(at)}`;
      }
    }
    if (this.#options.chatter) text = this.#chatter(text, this.#options.chatter);
    return Buffer.from(text, 'latin1');
  }

  // Interleave the other writer's text; the line seen by `chatter` is the shell's text only.
  #chatter(text: string, chatter: (line: string) => string | undefined): string {
    let out = '';
    for (const ch of text) {
      out += (chatter(this.#chatLine) ?? '') + ch;
      this.#chatLine = ch === '\n' ? '' : this.#chatLine + ch;
    }
    return out;
  }

  #next(): number {
    // xorshift32: a seeded, repeatable sequence of chunk sizes.
    let x = this.#rand;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#rand = x >>> 0;
    return this.#rand;
  }

  #emit(data: Buffer): void {
    for (let i = 0; i < data.length; ) {
      const size = this.#options.chunking === 'bytes' ? 1 : 1 + (this.#next() % 9);
      this.#queue.push(data.subarray(i, i + size));
      i += size;
    }
    if (!this.#pumping) {
      this.#pumping = true;
      setImmediate(() => this.#pump());
    }
  }

  #pump(): void {
    // Deliver in order, a few chunks per tick, like reads from a socket.
    for (let n = 0; n < 16; n++) {
      const chunk = this.#queue[this.#head++];
      if (!chunk) {
        this.#queue = [];
        this.#head = 0;
        this.#pumping = false;
        return;
      }
      this.#deliver(chunk);
    }
    setImmediate(() => this.#pump());
  }
}
