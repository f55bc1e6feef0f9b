// script: a case written in YAML, no code. Its steps run in order, each with an expectation:
// - `run`: a shell script in the guest, in PID 1's namespaces (`in: host`, the default) or in the
//   console shell itself (`in: console`); expected exit status (0 unless said), output that must
//   or must not match a pattern, a JSON field's value;
// - `file`: a guest file's sha256;
// - host-side evidence the guest cannot fake: `wire` (QEMU's DHCP server ACKed this address to the
//   guest's MAC) and `machine` (QEMU's run state over QMP).
// A step marked `eventually` is retried every 2 s until it holds or the case's settleMs is over.
// The case passes when every step holds; the first that does not is the message, and every step
// run is in the evidence.
import { type CheckContext, defineCheck, fail, pass, sleep, type Verdict } from '../check.ts';
import { shellQuote } from '../../util/shell-quote.ts';
import { dhcpExchange } from '../../wire/dhcp.ts';
import { boundedRegex } from '../../util/bounded-regex.ts';

interface ScriptStep {
  readonly name?: string;
  readonly run?: string;
  readonly in?: 'host' | 'console';
  readonly status?: number;
  readonly output?: string;
  readonly notOutput?: string;
  readonly json?: { readonly path: string; readonly equals?: unknown; readonly matches?: string };
  readonly file?: { readonly path: string; readonly sha256: string };
  readonly wire?: { readonly dhcpLease: string };
  readonly machine?: { readonly status: string };
  readonly eventually?: boolean;
}

export interface ScriptSettings {
  readonly steps: readonly ScriptStep[];
}

const kinds = ['run', 'file', 'wire', 'machine'] as const;

const pattern = (what: string) => ({ type: 'string', description: `${what} (JavaScript regular expression, no flags, against the output without its final newline; compiled when the case is loaded).` });

const stepSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'One step: exactly one of run, file, wire, machine, with its expectations.',
  properties: {
    name: { type: 'string', description: 'What the step shows, for messages.' },
    run: { type: 'string', minLength: 1, description: 'Shell script to run in the guest.' },
    in: { type: 'string', enum: ['host', 'console'], description: "host (the default): in PID 1's namespaces, as the built-in checks; console: in the console shell itself." },
    status: { type: 'integer', minimum: 0, maximum: 255, description: 'Expected exit status of `run` (default 0).' },
    output: pattern("The output of `run` must match this"),
    notOutput: pattern('The output of `run` must not match this'),
    json: {
      type: 'object',
      additionalProperties: false,
      required: ['path'],
      description: 'The output of `run` is JSON; the value at `path` (a.b[0].c) must equal `equals` or, as a string, match `matches`.',
      properties: { path: { type: 'string', minLength: 1 }, equals: {}, matches: pattern('The JSON value must match this') },
    },
    file: {
      type: 'object',
      additionalProperties: false,
      required: ['path', 'sha256'],
      description: "A guest file (in PID 1's namespaces) whose sha256 must be this.",
      properties: { path: { type: 'string', pattern: '^/' }, sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' } },
    },
    wire: {
      type: 'object',
      additionalProperties: false,
      required: ['dhcpLease'],
      description: "Host evidence: QEMU's DHCP server ACKed this IPv4 address to the guest's MAC, on the wire.",
      properties: { dhcpLease: { type: 'string', pattern: '^\\d{1,3}(\\.\\d{1,3}){3}$' } },
    },
    machine: {
      type: 'object',
      additionalProperties: false,
      required: ['status'],
      description: "Host evidence: QEMU's run state over QMP (query-status), e.g. running.",
      properties: { status: { type: 'string', minLength: 1 } },
    },
    eventually: { type: 'boolean', default: false, description: "Retry every 2 s until the step holds or the case's settleMs is over." },
  },
};

/** The step's name in messages: its own, else what it does. */
function stepLabel(step: ScriptStep, index: number): string {
  const what = step.name ?? (step.run !== undefined ? step.run.trim().split('\n')[0]!.slice(0, 60) : step.file ? `sha256 of ${step.file.path}` : step.wire ? `DHCP lease ${step.wire.dhcpLease} on the wire` : `QEMU state ${step.machine?.status}`);
  return `step ${index + 1} (${JSON.stringify(what)})`;
}

/** The value at `path` ("a.b[0].c") in `value`, or undefined. */
export function jsonAt(value: unknown, path: string): unknown {
  let at: unknown = value;
  for (const part of path.match(/[^.[\]]+/g) ?? []) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

const quoted = (text: string): string => JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);

/** Pure judgement of a `run` step's result: undefined when it holds, else why not. */
export function judgeRunStep(step: ScriptStep, status: number, fullOutput: string): string | undefined {
  // Patterns see the output without its final newline, so ^0$ matches what `echo 0` prints.
  const output = fullOutput.replace(/\n$/, '');
  const expected = step.status ?? 0;
  if (status !== expected) return `exit status ${status}, expected ${expected}; output: ${quoted(output.trim())}`;
  if (step.output !== undefined && !boundedRegex(step.output).test(output)) return `output does not match /${step.output}/: ${quoted(output.trim())}`;
  if (step.notOutput !== undefined) {
    const found = boundedRegex(step.notOutput).exec(output);
    if (found) return `output matches /${step.notOutput}/ (${quoted(found[0])}), which it must not`;
  }
  if (step.json) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(output);
    } catch {
      return `output is not JSON: ${quoted(output.trim())}`;
    }
    const value = jsonAt(parsed, step.json.path);
    if (value === undefined) return `the JSON has no ${step.json.path}`;
    if ('equals' in step.json && JSON.stringify(value) !== JSON.stringify(step.json.equals)) {
      return `${step.json.path} is ${quoted(JSON.stringify(value))}, expected ${quoted(JSON.stringify(step.json.equals))}`;
    }
    if (step.json.matches !== undefined && !boundedRegex(step.json.matches).test(typeof value === 'string' ? value : JSON.stringify(value))) {
      return `${step.json.path} is ${quoted(JSON.stringify(value))}, which does not match /${step.json.matches}/`;
    }
  }
  return undefined;
}

/** One attempt at a step: why it does not hold (undefined: it holds) and what it showed. */
async function attempt(context: CheckContext<ScriptSettings>, step: ScriptStep): Promise<{ why?: string; shown: string }> {
  if (step.run !== undefined) {
    const shell = step.in === 'console' ? context.console : context.system;
    if (!shell) return { why: 'this run has no console shell to run it in', shown: '' };
    const { status, output } = await shell.run(step.run);
    return { why: judgeRunStep(step, status, output), shown: `$ ${step.run.trim()}\n${output.trimEnd()}\n[exit ${status}]` };
  }
  if (step.file) {
    const { output } = await context.system.run(`sha256sum ${shellQuote(step.file.path)} 2>&1 </dev/null`);
    const got = /^([0-9a-f]{64})\s/.exec(output)?.[1];
    const why = got === undefined ? `cannot hash ${step.file.path}: ${quoted(output.trim())}` : got !== step.file.sha256 ? `${step.file.path} has sha256 ${got}, expected ${step.file.sha256}` : undefined;
    return { why, shown: `sha256 ${step.file.path}: ${got ?? output.trim()}` };
  }
  const view = context.hostView;
  if (step.wire) {
    if (!view) return { why: 'this run has no capture of the guest network', shown: '' };
    const capture = view.readWire();
    if (capture.error) return { why: `the capture of the guest network cannot be read: ${capture.error}`, shown: '' };
    const lease = dhcpExchange(capture.records, view.mac).lease;
    if (!lease && capture.capped) throw new Error(`the wire step cannot be judged: ${capture.capped}`);
    const shown = `wire (${view.mac}): ${lease ? `ACK of ${lease.address} at ${lease.ackAtS.toFixed(1)} s` : 'no ACKed REQUEST'}`;
    if (!lease) return { why: `the host saw no DHCP lease ACKed to the guest's NIC (${view.mac})`, shown };
    return { why: lease.address === step.wire.dhcpLease ? undefined : `QEMU's server leased ${lease.address}, not ${step.wire.dhcpLease}`, shown };
  }
  if (step.machine) {
    if (!view?.machineStatus) return { why: 'QMP does not answer in this run, so the machine state is unknown', shown: '' };
    const status = await view.machineStatus();
    return { why: status === step.machine.status ? undefined : `QEMU reports the machine as ${status}, expected ${step.machine.status}`, shown: `QMP query-status: ${status}` };
  }
  return { why: 'the step says nothing to do', shown: '' };
}

async function runSteps(context: CheckContext<ScriptSettings>): Promise<Verdict> {
  const started = context.now();
  const evidence: string[] = [];
  const { steps } = context.settings;
  for (const [index, step] of steps.entries()) {
    const label = stepLabel(step, index);
    for (let tries = 1; ; tries++) {
      const result = await attempt(context, step);
      if (!result.why) {
        evidence.push(`# ${label}: holds${tries > 1 ? ` (attempt ${tries})` : ''}\n${result.shown}`);
        break;
      }
      if (!step.eventually || context.now() - started + 2000 > Math.min(context.settleMs, context.timeoutMs - 5000)) {
        evidence.push(`# ${label}: does not hold${tries > 1 ? ` after ${tries} attempts` : ''}\n${result.shown}`);
        return fail(`${label}: ${result.why}`, evidence.join('\n'));
      }
      await sleep(2000);
    }
  }
  return pass(`${steps.length} step${steps.length === 1 ? '' : 's'} held: ${steps.map((s, i) => stepLabel(s, i).replace(/^step \d+ /, '')).join(', ')}`, evidence.join('\n'));
}

export const scriptCheck = defineCheck<ScriptSettings>({
  name: 'script',
  summary: 'steps written in the case file: guest scripts with expected status, output and JSON, guest file hashes, and host evidence (the wire, QMP)',
  settings: {
    steps: { type: 'array', minItems: 1, items: stepSchema, description: 'The steps, run in order; the case passes when every one holds.' },
  },
  settles: true,
  regexFields: (written) => {
    const steps = Array.isArray(written.steps) ? (written.steps as ScriptStep[]) : [];
    return steps.flatMap((step, i) =>
      (['output', 'notOutput'] as const)
        .filter((key) => typeof step[key] === 'string')
        .map((key) => ({ path: ['steps', i, key], source: step[key]! }))
        .concat(typeof step.json?.matches === 'string' ? [{ path: ['steps', i, 'json', 'matches'], source: step.json.matches }] : []),
    );
  },
  problems: (written) => {
    const steps = Array.isArray(written.steps) ? (written.steps as ScriptStep[]) : [];
    return steps.flatMap((step, i) => {
      const given = kinds.filter((k) => step[k] !== undefined);
      if (given.length !== 1) return [{ path: ['steps', i], problem: `a step needs exactly one of ${kinds.join(', ')}${given.length ? ` (this one has ${given.join(' and ')})` : ''}` }];
      const runOnly = (['in', 'status', 'output', 'notOutput', 'json'] as const).filter((k) => step[k] !== undefined);
      if (step.run === undefined && runOnly.length) return [{ path: ['steps', i, runOnly[0]!], problem: `${runOnly[0]} applies to run steps only` }];
      return [];
    });
  },
  check: (context) => runSteps(context),
});
