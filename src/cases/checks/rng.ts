// rng: virtio-rng bound as the kernel's hwrng, the kernel RNG initialised, and an RNG service that
// really feeds the kernel, runs in a container and stays up.
//
// An RNG service is whatever process, whatever its name, either reads a hardware source (an open
// fd on /dev/hwrng, misc 10:183, as rng-tools' rngd does) or holds the kernel's pool open to add
// entropy with the RNDADDENTROPY ioctl (an open fd on /dev/random, 1:8, with CAP_SYS_ADMIN in its
// effective set, which that ioctl needs: LinuxKit's rngd, haveged, jitterentropy-rngd). Files are
// matched by the char device number of the open file (by path only when the guest has no `stat -c`).
// processNames only make messages about look-alikes and stopped services precise.
//
// It must be the same process across sampleGapMs: a holder the kernel says has already lived that
// long (its start time in /proc/PID/stat against /proc/uptime) passes at the first sample; a younger
// one is sampled again after the gap, kept on the guest kernel's clock (/proc/uptime, read by each
// sample as it begins and ends), so the other cases' scripts fill the gap instead of a sleep.
//
// Retries (within settleMs, the service may still be starting): while nothing holds a source,
// samples are taken every 2 s. One restart (a holder gone, another in its place) is forgiven if the
// new process then lives across two more gaps; a second restart fails at once as a crash loop. An
// RNG service whose containerd task was started and has stopped fails at once, quoting its task
// status and its last log line (LinuxKit does not restart services).
import { type CheckContext, defineCheck, fail, pass, sleep, type Verdict } from '../check.ts';
import { first, parseKeyValues, timeoutHelper } from '../../console/guest-output.ts';
import { boundedRegex } from '../../util/bounded-regex.ts';
import { containment, scannedInit } from '../containment.ts';
import {
  type OpenFd,
  type Scan,
  type ScannedProcess,
  decimalDevice,
  feedsSetting as FEEDS,
  sourcesSetting as SOURCES,
  label,
  parseScan,
  parseTasks,
  serviceScanScript,
  sourceDevices,
  sourceFd,
  taskRunning,
  taskScanScript,
  taskStatus,
  ageCs,
  allDeclaredStarted,
  declarationsScript,
  uptimeCs,
} from '../service-scan.ts';

export interface RngSettings {
  /** What hw_random/rng_current must match. */
  readonly hwrng: RegExp;
  /** Paths of hardware RNG sources a service may read. */
  readonly sources: readonly string[];
  /** Paths of the kernel's pool a service may feed (with CAP_SYS_ADMIN). */
  readonly feeds: readonly string[];
  /** Names of the usual RNG services: context for messages only. */
  readonly processNames: readonly string[];
  /** Time between two samples, for messages. */
  readonly sampleGapMs: number;
}

interface RngVerdict {
  readonly passed: boolean;
  readonly message: string;
  /** No later sample can change the verdict (a crash loop was seen). */
  readonly final: boolean;
  /** A holder was seen but not yet long enough: the next sample should come after sampleGapMs. */
  readonly pending: boolean;
  /** When pending: the guest uptime (centiseconds) at which the youngest holder will have lived long enough. */
  readonly notBeforeCs?: number;
}

/**
 * One sample. `notBeforeCs`: wait on the guest until its uptime (centiseconds) reaches this first,
 * for at most `notBeforeCs` minus the uptime then plus 10 s (a clock that does not move cannot hang it).
 */
export function rngScript(settings: Pick<RngSettings, 'sources' | 'feeds' | 'processNames'>, notBeforeCs?: number): string {
  const wait =
    notBeforeCs === undefined
      ? ''
      : `kt_cs() { read -r kt_u _ < /proc/uptime; kt_u=\${kt_u%.*}\${kt_u#*.}; while :; do case "$kt_u" in 0?*) kt_u=\${kt_u#0};; *) break;; esac; done; }
kt_cs; kt_n=$(( (${Math.round(notBeforeCs)} - kt_u) / 20 + 50 ))
while kt_cs; [ "$kt_u" -lt ${Math.round(notBeforeCs)} ] && [ "$kt_n" -gt 0 ]; do kt_n=$((kt_n - 1)); sleep 0.2 2>/dev/null || sleep 1; done
`;
  return `${wait}${timeoutHelper}
read -r kt_u _ < /proc/uptime; echo "sampled_from=$kt_u"
h=/sys/class/misc/hw_random
echo "rng_current=$(cat $h/rng_current 2>&1)"
echo "rng_available=$(cat $h/rng_available 2>&1)"
dmesg 2>/dev/null | grep -q 'crng init done' && echo crng=dmesg
t 5 dd if=/dev/random of=/dev/null bs=16 count=1 2>/dev/null </dev/null && echo crng=random-does-not-block
${serviceScanScript({ sources: [...settings.sources, ...settings.feeds], groups: { rng: settings.processNames }, listFdsOf: ['rng'], isolation: true })}
${taskScanScript(settings.processNames)}
${declarationsScript()}
read -r kt_u _ < /proc/uptime; echo "sampled_to=$kt_u"`;
}

/**
 * The sample after `previous` (a sample's output, or a batch's that holds one): it waits on the
 * guest until sampleGapMs after that sample ended. Undefined when `previous` has no clock reading.
 */
export function nextSampleScript(settings: Pick<RngSettings, 'sources' | 'feeds' | 'processNames' | 'sampleGapMs'>, previous: string): string | undefined {
  const { toCs } = sampleClock(previous);
  return toCs === undefined ? undefined : rngScript(settings, toCs + Math.ceil(settings.sampleGapMs / 10));
}

/** When a sample began and ended on the guest's clock, in centiseconds of uptime (undefined where it did not say). */
export function sampleClock(output: string): { fromCs?: number; toCs?: number } {
  const kv = parseKeyValues(output);
  return { fromCs: uptimeCs(first(kv, 'sampled_from')), toCs: uptimeCs(first(kv, 'sampled_to')) };
}

/**
 * Whether sample `b` began at least `gapMs` after sample `a` ended on the guest's clock. Samples
 * without readings (recordings made before they were printed) are taken to be as far apart as the
 * host waited.
 */
export function farEnough(a: string, b: string, gapMs: number): boolean {
  const { toCs } = sampleClock(a);
  const { fromCs } = sampleClock(b);
  return toCs === undefined || fromCs === undefined || (fromCs - toCs) * 10 >= gapMs;
}

/** CAP_SYS_ADMIN's bit in CapEff: the RNDADDENTROPY ioctl on /dev/random needs it. */
const CAP_SYS_ADMIN = 21n;

type Role = 'reads' | 'feeds';

interface Holder {
  readonly process: ScannedProcess;
  readonly fd: OpenFd;
  readonly role: Role;
}

const canFeedPool = (p: ScannedProcess): boolean => p.capEff !== undefined && ((p.capEff >> CAP_SYS_ADMIN) & 1n) === 1n;

/** The processes that read a hardware source or feed the kernel's pool, by pid. */
export function rngHolders(scan: Scan, settings: Pick<RngSettings, 'sources' | 'feeds'>): Holder[] {
  const readable = sourceDevices(scan, settings.sources);
  const pool = sourceDevices(scan, settings.feeds);
  const holders: Holder[] = [];
  for (const process of scan.processes.values()) {
    const reads = sourceFd(process, readable, settings.sources);
    const feeds = reads ? undefined : sourceFd(process, pool, settings.feeds);
    if (reads) holders.push({ process, fd: reads, role: 'reads' });
    else if (feeds && canFeedPool(process)) holders.push({ process, fd: feeds, role: 'feeds' });
  }
  return holders.sort((a, b) => a.process.pid - b.process.pid);
}

const same = (a: ScannedProcess, b: ScannedProcess): boolean =>
  a.pid === b.pid && (a.start === undefined || b.start === undefined || a.start === b.start);

const names = (holders: readonly Holder[]): string => holders.map((h) => label(h.process)).join(', ');

/** "reads /dev/hwrng (10:183)" or "feeds the kernel pool through /dev/random (1:8)" */
function roleText(h: Holder): string {
  const device = h.fd.rdev ? ` (${decimalDevice(h.fd.rdev)})` : '';
  return h.role === 'reads' ? `reads ${h.fd.path || 'the RNG source'}${device}` : `feeds the kernel pool through ${h.fd.path || 'the pool'}${device}`;
}

/** How long the process had lived when the sample began, in centiseconds. */
const ageInSample = (process: ScannedProcess, output: string): number | undefined => ageCs(process.start, sampleClock(output).fromCs);

/** Pure judgement of consecutive samples (oldest first), each meant to begin sampleGapMs or more after the one before ended. */
export function judgeRngSamples(samples: readonly string[], settings: RngSettings): RngVerdict {
  const no = (message: string, final = false, pending = false): RngVerdict => ({ passed: false, message, final, pending });
  const lastOutput = samples.at(-1) ?? '';
  const kv = parseKeyValues(lastOutput);
  const current = first(kv, 'rng_current') ?? '';
  if (!settings.hwrng.test(current)) {
    const available = first(kv, 'rng_available') ?? '';
    return no(`hw_random/rng_current is "${current.trim() || 'none'}", not ${settings.hwrng.source} (available: ${available.trim() || 'none'})`);
  }
  if (!kv.get('crng')?.length) return no('the kernel RNG is not initialised: /dev/random still blocks and dmesg has no "crng init done"');

  const scans = samples.map(parseScan);
  const last = scans.at(-1)!;
  const held = scans.map((scan) => rngHolders(scan, settings));
  const now = held.at(-1)!;
  const wanted = describeWanted(last, settings);

  // Holders that went away between one sample and the next, and who held the source after them.
  const restarts: { gone: Holder; next: Holder[] }[] = [];
  for (let i = 0; i + 1 < held.length; i++) {
    for (const h of held[i]!) {
      if (!held[i + 1]!.some((n) => same(n.process, h.process))) {
        restarts.push({ gone: h, next: held[i + 1]!.filter((n) => !held[i]!.some((o) => same(o.process, n.process))) });
      }
    }
  }
  // The holder after a restart: the next sample's new holder, else (the service was down in
  // between) the current one.
  const restartText = (r: { gone: Holder; next: Holder[] }): string =>
    `pid ${r.gone.process.pid} then ${(r.next.length ? r.next : now).map((n) => n.process.pid).join(', ') || 'none'}`;

  if (restarts.length >= 2) {
    const pids = [...new Set(held.flat().map((h) => h.process.pid))];
    return no(`${restarts[0]!.gone.process.comm || 'the RNG service'} restarted ${restarts.length} times in ${samples.length} samples (pids ${pids.join(', ')}): a crash-looping service`, true);
  }
  if (now.length === 0) {
    const stopped = stoppedService(lastOutput, settings);
    if (stopped) return no(`no process ${wanted}: ${stopped}`, true);
    // Every declared service has started (or exited): no RNG service is still to come.
    const settled = allDeclaredStarted(lastOutput);
    const over = settled ? '; every declared service has been started, so none is left to come' : '';
    if (restarts.length === 1) {
      const r = restarts[0]!;
      return no(`no process ${wanted} now: ${label(r.gone.process)} held ${r.gone.fd.path || 'it'} open in an earlier sample and is gone${over}`, settled);
    }
    return no(`${lookAlikes(last, settings, wanted)}${over}`, settled);
  }
  // After one restart the new process must live across two gaps, else across one: by its age
  // where the kernel tells it, else by samples that far apart that all show it.
  const window = restarts.length === 0 ? 2 : 3;
  const needCs = ((window - 1) * settings.sampleGapMs) / 10;
  // Gaps the guest's clock shows shorter than sampleGapMs do not count (a guest whose sleep did not wait).
  const spaced = held.length >= window && samples.slice(-window).every((sample, i, w) => i === 0 || farEnough(w[i - 1]!, sample, settings.sampleGapMs));
  const lived = (h: Holder): boolean => (ageInSample(h.process, lastOutput) ?? -1) >= needCs;
  const stable = now.filter((h) => lived(h) || (spaced && held.slice(-window).every((sample) => sample.some((o) => same(o.process, h.process)))));
  if (stable.length === 0) {
    // The next sample need not wait a whole gap: only until a holder the kernel gave a start time is old enough.
    const ready = now.flatMap((h) => (h.process.start === undefined ? [] : [h.process.start + needCs]));
    const pending = (message: string): RngVerdict => ({ ...no(message, false, true), ...(ready.length ? { notBeforeCs: Math.min(...ready) } : {}) });
    if (restarts.length === 1) {
      const r = restarts[0]!;
      return pending(`${r.gone.process.comm || 'the RNG service'} restarted between samples (${restartText(r)}): a crash-looping service`);
    }
    if (held.length === 1) return pending(`${names(now)} ${roleText(now[0]!)} but started less than ${seconds(needCs * 10)} ago; a second sample follows to see that it stays up`);
    if (!spaced && held.length >= window) return pending(`${names(now)} ${roleText(now[0]!)}, but the last samples were less than ${seconds(settings.sampleGapMs)} apart on the guest's clock; another sample follows`);
    return pending(`${names(now)} ${roleText(now[0]!)} only since the last sample; another sample follows to see that it stays up`);
  }
  // Either way the service must run in a container.
  const init = scannedInit(last.processes);
  if (!init) return no(`${names(stable)} ${roleText(stable[0]!)}, but PID 1's mount and PID namespaces could not be read to see whether it runs in a container`, true);
  const judged = stable.map((h) => ({ h, place: containment(h.process, init) }));
  const contained = judged.find((j) => j.place.kind === 'contained');
  if (!contained) {
    return no(`not in a container: ${judged.map((j) => `${label(j.h.process)} ${roleText(j.h)} but ${j.place.why}`).join('; ')}`, true);
  }
  const holder = contained.h;
  const age = ageInSample(holder.process, lastOutput);
  const up = lived(holder) && age !== undefined ? `up ${seconds(age * 10)} by the guest kernel's clock` : `stayed up across ${window} samples ${seconds(settings.sampleGapMs)} apart`;
  const after = restarts.length === 1 ? ` after one restart (${restartText(restarts[0]!)})` : '';
  return {
    passed: true,
    message: `hwrng ${current.trim()}, kernel RNG initialised, ${label(holder.process)} ${roleText(holder)} (fd ${holder.fd.fd}) in a container, ${up}${after}`,
    final: true,
    pending: false,
  };
}

/** "1.5 s", "3 s" */
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1).replace(/\.0$/, '')} s`;

/** "reads /dev/hwrng (10:183) or feeds the kernel pool through /dev/random (1:8)" */
function describeWanted(scan: Scan, settings: Pick<RngSettings, 'sources' | 'feeds'>): string {
  const devices = (paths: readonly string[]) => {
    const d = [...sourceDevices(scan, paths)].map(decimalDevice);
    return `${paths.join(' or ')}${d.length ? ` (${d.join(', ')})` : ''}`;
  };
  const feeds = settings.feeds.length ? ` or feeds the kernel pool through ${devices(settings.feeds)}` : '';
  return `reads ${devices(settings.sources)}${feeds}`;
}

/** An RNG service whose containerd task was started and is gone: its task status and last log line. */
function stoppedService(output: string, settings: Pick<RngSettings, 'processNames'>): string | undefined {
  const tasks = parseTasks(output).filter((t) => settings.processNames.includes(t.id) && !taskRunning(t));
  if (tasks.length === 0) return undefined;
  return tasks
    .map((t) => {
      const log = t.logs.length ? `; its last log line: "${t.logs.at(-1)}"` : '; it left no log in /var/log';
      return `the service ${t.id} was started (containerd task ${t.namespace}/${t.id}${t.pid ? `, pid ${t.pid}` : ''}) and is gone: task ${taskStatus(t)}, its process ${t.state === 'gone' ? 'has exited' : 'is a zombie'}${log}`;
    })
    .join('; ');
}

/** Why nothing counts: what the processes named like an RNG service, and pool holders without the right to feed it, hold instead. */
function lookAlikes(scan: Scan, settings: RngSettings, wanted: string): string {
  const pool = sourceDevices(scan, settings.feeds);
  const powerless = [...scan.processes.values()].filter((p) => sourceFd(p, pool, settings.feeds) && !canFeedPool(p));
  const named = [...scan.processes.values()].filter((p) => p.groups.includes('rng') && !powerless.includes(p));
  const parts = powerless.map((p) => `${label(p)} has ${sourceFd(p, pool, settings.feeds)!.path || 'the pool'} open but not CAP_SYS_ADMIN, so it cannot add entropy`);
  if (named.length === 0 && parts.length === 0) {
    return `no process ${wanted}, and no process named ${settings.processNames.join(', ')} runs`;
  }
  const devices = sourceDevices(scan, [...settings.sources, ...settings.feeds]);
  for (const p of named) {
    const impostor = p.fds.find((f) => [...settings.sources, ...settings.feeds].includes(f.path) && f.rdev !== undefined && !devices.has(f.rdev));
    if (impostor) {
      parts.push(`${label(p)} has ${impostor.path} open, but it is not an RNG device (${decimalDevice(impostor.rdev!)}, not ${[...devices].map(decimalDevice).join(', ')})`);
      continue;
    }
    const fds = p.fds.length ? p.fds.slice(0, 8).map((f) => `${f.fd} ${f.path || '?'}`).join(', ') + (p.fds.length > 8 ? ', ...' : '') : 'none readable';
    parts.push(`${label(p)} runs but has no RNG source open (open fds: ${fds})`);
  }
  return `no process ${wanted}: ${parts.join('; ')}`;
}

/** The rng case's settings as written in the case file. */
export interface RngCaseSettings {
  readonly hwrng: string;
  readonly sources: readonly string[];
  readonly feeds: readonly string[];
  readonly processNames: readonly string[];
  readonly sampleGapMs: number;
}

export function rngSettings(settings: RngCaseSettings): RngSettings {
  return { ...settings, hwrng: boundedRegex(settings.hwrng) };
}

export const rngCheck = defineCheck<RngCaseSettings>({
  name: 'rng',
  summary: 'virtio-rng is the bound hwrng, the kernel RNG is initialised, and one process in a container reads the hardware RNG or feeds the kernel pool, and stays up',
  settings: {
    hwrng: { type: 'string', default: 'virtio_rng', description: 'Regular expression (JavaScript syntax, no flags) the bound hardware RNG must match. Compiled when the case is loaded: an invalid one is refused with file:line.' },
    sources: SOURCES,
    feeds: FEEDS,
    processNames: {
      type: 'array',
      items: { type: 'string' },
      default: ['rngd'],
      description: 'Usual names of the RNG service, used only to explain what a look-alike holds and to find a stopped service\'s containerd task and log (any process holding a source counts, whatever its name).',
    },
    sampleGapMs: { type: 'integer', minimum: 0, default: 3000, description: 'How long the same RNG service process must be seen up: by its age where the kernel tells it, else across two samples this far apart.' },
  },
  settles: true,
  regexFields: (written) => (typeof written.hwrng === 'string' ? [{ path: ['hwrng'], source: written.hwrng }] : []),
  check: (context) => rngHeldAcrossSamples(context),
});

async function rngHeldAcrossSamples(context: CheckContext<RngCaseSettings>): Promise<Verdict> {
  const settings = rngSettings(context.settings);
  const script = rngScript(settings);
  const started = context.now();
  const hardMs = Math.max(0, context.timeoutMs - 5000);
  const settleMs = Math.min(context.settleMs, hardMs);
  const samples: { n: number; at: number; output: string }[] = [];
  // The first sample runs first in the evidence pass; a later one waits on the guest's clock, last.
  let next: { script: string; position: 'first' | 'last' } = { script, position: 'first' };
  for (let n = 1; ; n++) {
    const at = context.now();
    samples.push({ n, at, output: (await context.system.run(next.script, { position: next.position })).output });
    next = { script, position: 'first' };
    if (samples.length > 12) samples.shift();
    const verdict = judgeRngSamples(
      samples.map((s) => s.output),
      settings,
    );
    const evidence = samples
      .slice(-3)
      .map((s) => `# sample ${s.n} at +${((s.at - started) / 1000).toFixed(1)} s\n${s.output.trimEnd()}`)
      .join('\n');
    if (verdict.passed) return pass(verdict.message, evidence);
    if (verdict.final) return fail(verdict.message, evidence);
    // A holder waiting for its next sample gets it within the check's deadline; anything else
    // (nothing holds the source yet, RNG not bound or not initialised) is retried within settleMs.
    const waitMs = verdict.pending ? settings.sampleGapMs : 2000;
    if (context.now() - started + waitMs > (verdict.pending ? hardMs : settleMs)) return fail(verdict.message, evidence);
    // A holder's next sample waits on the guest, while the other cases' scripts run; without a
    // clock reading in the last sample, and for a retry, the host waits.
    const waiting = !verdict.pending ? undefined : verdict.notBeforeCs !== undefined ? rngScript(settings, verdict.notBeforeCs + 5) : nextSampleScript(settings, samples.at(-1)!.output);
    if (waiting) next = { script: waiting, position: 'last' };
    else await sleep(waitMs);
  }
}
