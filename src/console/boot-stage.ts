// Where a boot stopped, read from the console: a hang is reported with the last stage reached.

/** Boot stages in order; each is reached when one of its patterns has been seen on the console. */
export const bootStages = [
  { stage: 'firmware', patterns: [] as RegExp[] },
  // Linux prints its banner first; s390x and ppc64le firmware print before it.
  { stage: 'kernel', patterns: [/Linux version \d/, /Booting Linux/] },
  { stage: 'init', patterns: [/Run \S+ as init process/, /Freeing unused kernel/] },
  // Any container runtime or service manager speaking: LinuxKit's init, containerd, systemd, OpenRC.
  { stage: 'services', patterns: [/containerd|runc|onboot|Started \w|Starting \w|\* Starting|service \S+: started/i] },
  // A prompt-like line or a login prompt: something reads the console.
  { stage: 'shell', patterns: [/(?:^|\n)[^\n]{0,60}[#$%>] $/, /login: *$/m] },
] as const;

export type BootStage = (typeof bootStages)[number]['stage'];

/** The last stage whose pattern `seen` reports as present (firmware when none). */
export function lastBootStage(seen: (pattern: RegExp) => boolean): BootStage {
  let reached: BootStage = 'firmware';
  for (const { stage, patterns } of bootStages) if (patterns.some(seen)) reached = stage;
  return reached;
}

/** One line for a boot that did not finish: the stage and how long the console has been silent. */
export function describeStall(stage: BootStage, nowMs: number, lastByteAtMs: number | undefined): string {
  if (lastByteAtMs === undefined) return 'the guest printed nothing at all';
  return `the boot stopped after the ${stage} stage; the console has been silent for ${((nowMs - lastByteAtMs) / 1000).toFixed(1)} s`;
}

// The tty echoes what kittest types while no shell answers: that is not the guest speaking.
const PROBE_PREFIX = "printf '%s_%s\\n' ";
const PROBE_ECHO = /^printf '%s_%s\\n' [0-9a-f]+ ready$/;

/** Whether a piece of a line may still grow into the echo of a probe (it arrives in chunks). */
function mayBeProbeEcho(piece: string): boolean {
  if (PROBE_PREFIX.startsWith(piece)) return true;
  return piece.startsWith(PROBE_PREFIX) && /^[0-9a-f]* ?(?:r(?:e(?:a(?:dy?)?)?)?)?$/.test(piece.slice(PROBE_PREFIX.length));
}

/** When the guest last printed something of its own (console text minus the echo of kittest's probes). */
export class GuestSpeech {
  #lastAtMs: number | undefined;
  #partial = '';

  /** Milliseconds since the run started of the guest's latest own text, if any. */
  get lastAtMs(): number | undefined {
    return this.#lastAtMs;
  }

  /** A console log sink: feed it every piece of console text with its time (lines may come in pieces). */
  write(text: string, elapsedMs: number): void {
    const lines = (this.#partial + text).split('\n');
    this.#partial = (lines.pop() ?? '').slice(-4096);
    for (const line of lines) if (line.trim() !== '' && !PROBE_ECHO.test(line.trim())) this.#lastAtMs = elapsedMs;
    const piece = this.#partial.trim();
    if (piece !== '' && !mayBeProbeEcho(piece)) this.#lastAtMs = elapsedMs;
  }
}
