// rng: virtio-rng bound as the kernel's hwrng, the kernel RNG initialised, and an RNG service that
// really holds the RNG source open and stays up.
//
// The service is whatever process has the source open (matched by the char device number of the
// open file, /dev/hwrng being misc 10:183; by path only when the guest has no `stat -c`), whatever
// its name: processNames only make messages about look-alikes precise. It must be the same
// process (pid and start time) in two samples sampleGapMs apart, so a service that crash-loops
// faster than that is caught.
//
// The gap is kept on the guest kernel's clock (/proc/uptime, read by each sample as it begins and
// ends), not the host's: the first sample goes first in the evidence pass, and the next one waits
// on the guest until sampleGapMs after the first ended, so the other cases' scripts fill the gap
// instead of a sleep on the host. The judge checks the gap from those readings.
//
// Retries (within settleMs, the service may still be starting): while nothing holds the source,
// samples are taken every 2 s. A holder seen once is always sampled again after sampleGapMs. One
// restart (a holder gone, another in its place) is forgiven if the new process then holds the
// source across two more gaps (a supervisor may restart a service once while the system comes
// up); a second restart fails at once as a crash loop.
import { type CheckContext, defineCheck, fail, pass, sleep, type Verdict } from '../check.ts';
import { first, parseKeyValues, timeoutHelper } from '../guest-output.ts';
import { boundedRegex } from '../../util/bounded-regex.ts';
import {
  type OpenFd,
  type Scan,
  type ScannedProcess,
  decimalDevice,
  sourcesSetting as SOURCES,
  label,
  parseScan,
  serviceScanScript,
  sourceDevices,
  sourceHolders,
} from '../service-scan.ts';

export interface RngSettings {
  /** What hw_random/rng_current must match. */
  readonly hwrng: RegExp;
  /** Paths of the RNG source the service must hold open. */
  readonly sources: readonly string[];
  /** Names of the usual RNG services: context for messages only. */
  readonly processNames: readonly string[];
  /** Time between two samples, for messages. */
  readonly sampleGapMs: number;
}

export interface RngVerdict {
  readonly passed: boolean;
  readonly message: string;
  /** No later sample can change the verdict (a crash loop was seen). */
  readonly final: boolean;
  /** A holder was seen but not yet long enough: the next sample should come after sampleGapMs. */
  readonly pending: boolean;
}

/**
 * One sample. `notBeforeCs`: wait on the guest until its uptime (centiseconds) reaches this first,
 * for at most `notBeforeCs` minus the uptime then plus 10 s (a clock that does not move cannot hang it).
 */
export function rngScript(settings: Pick<RngSettings, 'sources' | 'processNames'>, notBeforeCs?: number): string {
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
${serviceScanScript({ sources: settings.sources, groups: { rng: settings.processNames }, listFdsOf: ['rng'] })}
read -r kt_u _ < /proc/uptime; echo "sampled_to=$kt_u"`;
}

/**
 * The sample after `previous` (a sample's output, or a batch's that holds one): it waits on the
 * guest until sampleGapMs after that sample ended. Undefined when `previous` has no clock reading.
 */
export function nextSampleScript(settings: Pick<RngSettings, 'sources' | 'processNames' | 'sampleGapMs'>, previous: string): string | undefined {
  const { toCs } = sampleClock(previous);
  return toCs === undefined ? undefined : rngScript(settings, toCs + Math.ceil(settings.sampleGapMs / 10));
}

/** When a sample began and ended on the guest's clock, in centiseconds of uptime (undefined where it did not say). */
export function sampleClock(output: string): { fromCs?: number; toCs?: number } {
  const kv = parseKeyValues(output);
  const cs = (key: string) => {
    const m = /^(\d{1,9})\.(\d\d)$/.exec(first(kv, key)?.trim() ?? '');
    return m ? Number(m[1]) * 100 + Number(m[2]) : undefined;
  };
  return { fromCs: cs('sampled_from'), toCs: cs('sampled_to') };
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

interface Holder {
  readonly process: ScannedProcess;
  readonly fd: OpenFd;
}

const same = (a: ScannedProcess, b: ScannedProcess): boolean =>
  a.pid === b.pid && (a.start === undefined || b.start === undefined || a.start === b.start);

const names = (holders: readonly Holder[]): string => holders.map((h) => label(h.process)).join(', ');

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
  const held = scans.map((scan) => sourceHolders(scan, settings.sources));
  const now = held.at(-1)!;
  const source = describeSource(last, settings.sources);

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
    if (restarts.length === 1) {
      const r = restarts[0]!;
      return no(`no process holds ${source} open now: ${label(r.gone.process)} held it in an earlier sample and is gone`);
    }
    return no(lookAlikes(last, settings, source));
  }
  // After one restart the new process must hold the source across two gaps, else across one.
  const window = restarts.length === 0 ? 2 : 3;
  // Gaps the guest's clock shows shorter than sampleGapMs do not count (a guest whose sleep did not wait).
  const spaced = held.length >= window && samples.slice(-window).every((sample, i, w) => i === 0 || farEnough(w[i - 1]!, sample, settings.sampleGapMs));
  const stable = now.filter((h) => spaced && held.slice(-window).every((sample) => sample.some((o) => same(o.process, h.process))));
  if (stable.length === 0) {
    if (restarts.length === 1) {
      const r = restarts[0]!;
      return no(`${r.gone.process.comm || 'the RNG service'} restarted between samples (${restartText(r)}): a crash-looping service`, false, true);
    }
    if (held.length === 1) return no(`${names(now)} holds ${source} open; a second sample follows to see that it stays up`, false, true);
    if (!spaced && held.length >= window) return no(`${names(now)} holds ${source} open, but the last samples were less than ${(settings.sampleGapMs / 1000).toFixed(1)} s apart on the guest's clock; another sample follows`, false, true);
    return no(`${names(now)} opened ${source} only in the last sample; another sample follows to see that it stays up`, false, true);
  }
  const holder = stable[0]!;
  const gap = `${(settings.sampleGapMs / 1000).toFixed(1).replace(/\.0$/, '')} s`;
  const across = `${window} samples ${gap} apart`;
  const after = restarts.length === 1 ? ` after one restart (${restartText(restarts[0]!)})` : '';
  return {
    passed: true,
    message: `hwrng ${current.trim()}, kernel RNG initialised, ${label(holder.process)} holds ${source} open (fd ${holder.fd.fd}) and stayed up across ${across}${after}`,
    final: true,
    pending: false,
  };
}

/** "/dev/hwrng (10:183)" */
function describeSource(scan: Scan, sources: readonly string[]): string {
  const devices = [...sourceDevices(scan, sources)].map(decimalDevice);
  return `${sources.join(' or ')}${devices.length ? ` (${devices.join(', ')})` : ''}`;
}

/** Why nothing counts: what the processes named like an RNG service hold instead. */
function lookAlikes(scan: Scan, settings: RngSettings, source: string): string {
  const named = [...scan.processes.values()].filter((p) => p.groups.includes('rng'));
  if (named.length === 0) {
    return `no process holds ${source} open, and no process named ${settings.processNames.join(', ')} runs`;
  }
  const devices = sourceDevices(scan, settings.sources);
  const parts = named.map((p) => {
    const impostor = p.fds.find((f) => settings.sources.includes(f.path) && f.rdev !== undefined && !devices.has(f.rdev));
    if (impostor) {
      return `${label(p)} has ${impostor.path} open, but it is not the RNG device (${decimalDevice(impostor.rdev!)}, not ${[...devices].map(decimalDevice).join(', ')})`;
    }
    const fds = p.fds.length ? p.fds.slice(0, 8).map((f) => `${f.fd} ${f.path || '?'}`).join(', ') + (p.fds.length > 8 ? ', ...' : '') : 'none readable';
    return `${label(p)} runs but has no RNG source open (open fds: ${fds})`;
  });
  return `no process holds ${source} open: ${parts.join('; ')}`;
}

/** The rng case's settings as written in the case file. */
export interface RngCaseSettings {
  readonly hwrng: string;
  readonly sources: readonly string[];
  readonly processNames: readonly string[];
  readonly sampleGapMs: number;
}

export function rngSettings(settings: RngCaseSettings): RngSettings {
  return { ...settings, hwrng: boundedRegex(settings.hwrng) };
}

export const rngCheck = defineCheck<RngCaseSettings>({
  name: 'rng',
  summary: 'virtio-rng is the bound hwrng, the kernel RNG is initialised, and one process holds the RNG source open across two samples',
  settings: {
    hwrng: { type: 'string', default: 'virtio_rng', description: 'Regular expression (JavaScript syntax, no flags) the bound hardware RNG must match. Compiled when the case is loaded: an invalid one is refused with file:line.' },
    sources: SOURCES,
    processNames: {
      type: 'array',
      items: { type: 'string' },
      default: ['rngd'],
      description: 'Usual names of the RNG service, used only to explain what a look-alike holds (any process holding the source counts, whatever its name).',
    },
    sampleGapMs: { type: 'integer', minimum: 0, default: 3000, description: 'Time between the two samples in which the same RNG service process must hold the source.' },
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
    samples.push({ n, at, output: (await context.host.run(next.script, { position: next.position })).output });
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
    const waiting = verdict.pending ? nextSampleScript(settings, samples.at(-1)!.output) : undefined;
    if (waiting) next = { script: waiting, position: 'last' };
    else await sleep(waitMs);
  }
}
