// One running QEMU process: its console pipes, its private folder, and a sure way to end it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostError } from '../errors.ts';
import { withDeadline } from '../util/deadline.ts';
import { onInterruptExit } from '../util/signals.ts';
import { findOnPath } from '../util/find-binary.ts';

export interface MachineExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Last lines QEMU printed on stderr (its own errors, never guest output). */
  readonly stderr: string;
  /** True when kittest itself stopped the machine. */
  readonly stoppedByHarness: boolean;
}

/** A private 0700 folder for one VM's sockets and scratch files. */
export function makeRunDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `kittest-${label.replace(/[^a-z0-9_-]/gi, '_')}-`));
}

export class Machine {
  readonly startedAt: number;
  readonly exited: Promise<MachineExit>;
  private readonly child: ChildProcess;
  private stderrTail = '';
  private stopping = false;
  private done = false;
  private forgetCleanup: () => void = () => {};
  private meter: ProcessTimesMeter | undefined;

  private constructor(
    readonly argv: readonly string[],
    readonly runDir: string,
    onData: (chunk: Buffer) => void,
    packageHint: string,
  ) {
    const [program, ...args] = argv;
    if (!program || !findOnPath(program)) {
      throw new HostError(`${program} not found: install the Debian package ${packageHint} (apt-get install ${packageHint})`);
    }
    this.startedAt = Date.now();
    this.child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: false });
    // If kittest exits on a signal without stopping the machine itself, QEMU and its folder go too.
    this.forgetCleanup = onInterruptExit(() => this.killNow());
    this.child.stdout?.on('data', onData);
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-4000);
    });
    // A console write after QEMU died must not crash the harness.
    this.child.stdin?.on('error', () => {});
    this.exited = new Promise<MachineExit>((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.done) return;
        this.done = true;
        resolve({ code, signal, stderr: this.stderrTail.trim(), stoppedByHarness: this.stopping });
      };
      this.child.on('error', (error) => {
        this.stderrTail += `\n${error.message}`;
        finish(null, null);
      });
      this.child.on('close', finish);
    });
  }

  /** Start QEMU with `argv`; console bytes go to `onData`. `packageHint` names the Debian package of the binary. */
  static start(argv: readonly string[], runDir: string, onData: (chunk: Buffer) => void, packageHint: string): Machine {
    return new Machine(argv, runDir, onData, packageHint);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The last lines QEMU printed on stderr so far (its own errors, never guest output). */
  get stderr(): string {
    return this.stderrTail;
  }

  get running(): boolean {
    return !this.done;
  }

  /** How long QEMU has run and waited on a run queue so far (see ProcessTimesMeter); undefined once gone. */
  times(): ProcessTimes | undefined {
    if (this.child.pid === undefined || this.done) return undefined;
    this.meter ??= new ProcessTimesMeter(this.child.pid);
    return this.meter.read();
  }

  /** Type on the console. */
  write(data: string | Buffer): void {
    if (!this.done && this.child.stdin?.writable) this.child.stdin.write(data);
  }

  /**
   * Power off: `quit` (e.g. over QMP) when given, else SIGTERM (QEMU exits at once), SIGKILL if it
   * lingers; then `beforeCleanup` (to keep files such as the capture) and remove the private folder.
   */
  async stop(options: { graceMs?: number; quit?: () => Promise<unknown>; beforeCleanup?: () => void } = {}): Promise<MachineExit> {
    this.stopping = true;
    const graceMs = options.graceMs ?? 2000;
    if (!this.done && options.quit) {
      await withDeadline(Promise.race([options.quit().catch(() => undefined), this.exited]), graceMs, () => undefined);
    }
    if (!this.done) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    try {
      options.beforeCleanup?.();
    } finally {
      rmSync(this.runDir, { recursive: true, force: true });
      this.forgetCleanup();
    }
    return this.exited;
  }

  /** Synchronous last-resort kill for signal handlers. */
  killNow(): void {
    this.stopping = true;
    if (!this.done) this.child.kill('SIGKILL');
    rmSync(this.runDir, { recursive: true, force: true });
    this.forgetCleanup();
  }
}

/** A process's CPU time and run-queue wait so far, in ms. */
export interface ProcessTimes {
  readonly cpuMs: number;
  readonly waitMs: number;
}

/**
 * How long a process has run and how long it waited on a run queue, in ms, never decreasing: its
 * CPU time (/proc/PID/stat, which keeps ended threads' time) and each thread's run-queue wait (the
 * second field of /proc/PID/task/TID/schedstat), remembered for threads that end. A process starved
 * by a loaded host is runnable nearly all the time, so its wait is most of the wall time. Without
 * schedstat (a kernel without CONFIG_SCHED_INFO) the wait reads 0.
 */
export class ProcessTimesMeter {
  readonly #waitNs = new Map<string, number>();
  constructor(private readonly pid: number) {}

  read(): ProcessTimes | undefined {
    const cpuMs = processCpuMs(this.pid);
    if (cpuMs === undefined) return undefined;
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${this.pid}/task`);
    } catch {
      // Gone since the stat read: the next read says so.
    }
    for (const tid of tids) {
      try {
        const wait = Number(readFileSync(`/proc/${this.pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]);
        if (Number.isFinite(wait)) this.#waitNs.set(tid, Math.max(wait, this.#waitNs.get(tid) ?? 0));
      } catch {
        // The thread ended between the listing and the read, or there is no schedstat.
      }
    }
    let waitNs = 0;
    for (const ns of this.#waitNs.values()) waitNs += ns;
    return { cpuMs, waitMs: waitNs / 1e6 };
  }
}

/** A process's CPU time (utime + stime) in ms, from /proc/PID/stat (clock ticks of 10 ms: USER_HZ is 100 on Linux). */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}
