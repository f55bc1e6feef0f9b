// services-declared: every service an image declares runs as its declaration says.
//
// A LinuxKit image declares each service by its OCI spec, /containers/services/NAME/config.json,
// and each onboot container by /containers/onboot/NNN-NAME/config.json, as `linuxkit build` writes
// them; LinuxKit's `service` starts the services in containerd's services.linuxkit namespace.
// Each declared service must have a running task there (its init process alive, as the kernel says),
// in PID 1's pid/net/ipc/uts namespaces exactly where its spec shares them and in its own where the
// spec says new (and always its own mount namespace), with no effective capability (CapEff) beyond
// its spec's, and a read-only root where the spec says so. Each onboot container must have run: a
// log where LinuxKit (or kittest's init) writes one, or runc's record of it.
// An image without declarations is not judged here: the case does not apply and says why.
// With `run --linuxkit FILE` the linuxkit.yml that built the image is the list (read on the host,
// so an image cannot drop a declaration unseen), and what the file sets is laid over each config.json.
// Only files and /proc are read: no ctr or runc is started (each start takes seconds under emulation).
import { type CheckContext, defineCheck, doesNotApply, fail, pass, settle, type Verdict } from '../check.ts';
import { type FileDeclaration, type LinuxkitFile, type NamespaceWish, type SharableNamespace } from '../declarations.ts';
import { capabilityBits } from '../../util/capabilities.ts';
import { parseKeyValues } from '../../console/guest-output.ts';
import { declarationsScript, parseTasks, type RuntimeTask, taskRunning, taskScanScript, taskStatus } from '../service-scan.ts';

interface DeclaredSettings {
  /** containerd namespace the services run in. */
  readonly namespace: string;
  /** The linuxkit.yml that built the image (`run --linuxkit FILE`): its list of services and onboot containers is the one checked. */
  readonly linuxkit?: LinuxkitFile;
}

/** The kinds of namespace a spec may share with the host, with their names in /proc/PID/ns and in OCI. */
const sharable = [
  { proc: 'pid', oci: 'pid' },
  { proc: 'net', oci: 'network' },
  { proc: 'ipc', oci: 'ipc' },
  { proc: 'uts', oci: 'uts' },
] as const;

/**
 * Shell snippet printing the declarations and what the kernel says of each service's task:
 *   decl=KIND NAME              a declaration (KIND services or onboot), then its config.json's lines as
 *   jsonl=KIND NAME LINE
 *   hostns=pid:[N] net:[N] ipc:[N] uts:[N] mnt:[N]           PID 1's namespaces
 *   svcns=ID ...  svccap=ID HEX  svcroot=ID OPTIONS           of each task's init process in the namespace
 *   onbootlog=NNN-NAME PATH  onbootrunc=NNN-NAME              what an onboot container left
 * and the runtime's tasks (taskScanScript) with their last log lines.
 */
export function declaredScript(settings: DeclaredSettings): string {
  return `${declarationsScript({ specs: true })}
echo "hostns=$(readlink /proc/1/ns/pid) $(readlink /proc/1/ns/net) $(readlink /proc/1/ns/ipc) $(readlink /proc/1/ns/uts) $(readlink /proc/1/ns/mnt)"
${taskScanScript(['*'], settings.namespace)}`;
}

interface Declaration {
  readonly kind: 'services' | 'onboot';
  readonly name: string;
  readonly json: string;
}

const NSID = /^(pid|net|ipc|uts|mnt):\[\d{1,20}\]$/;

/** Namespace ids by kind from "pid:[N] net:[N] ..." (ids of other shapes are dropped). */
function namespaces(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const id of text.split(' ')) if (NSID.test(id)) out[id.slice(0, id.indexOf(':'))] = id;
  return out;
}

/** What the guest printed, parsed strictly (guest output is untrusted). */
function parseDeclared(output: string) {
  const declarations = new Map<string, Declaration>();
  for (const line of output.split('\n')) {
    const decl = /^decl=(services|onboot) ([A-Za-z0-9._-]{1,100})$/.exec(line);
    if (decl) {
      const key = `${decl[1]}/${decl[2]}`;
      if (!declarations.has(key) && declarations.size < 100) declarations.set(key, { kind: decl[1] as Declaration['kind'], name: decl[2]!, json: '' });
      continue;
    }
    const json = /^jsonl=(services|onboot) ([A-Za-z0-9._-]{1,100}) (.*)$/.exec(line);
    const d = json && declarations.get(`${json[1]}/${json[2]}`);
    if (d && d.json.length < 262_144) declarations.set(`${d.kind}/${d.name}`, { ...d, json: `${d.json}${json![3]}\n` });
  }
  const kv = parseKeyValues(output);
  const byId = (key: string) => {
    const map = new Map<string, string>();
    for (const v of kv.get(key) ?? []) {
      const m = /^([A-Za-z0-9._-]{1,100}) ?(.*)$/.exec(v);
      if (m && !map.has(m[1]!)) map.set(m[1]!, m[2]!);
    }
    return map;
  };
  const onbootLogs = byId('onbootlog');
  const onbootRunc = new Set((kv.get('onbootrunc') ?? []).filter((v) => /^[A-Za-z0-9._-]{1,100}$/.test(v)));
  return {
    declarations: [...declarations.values()],
    pid1: namespaces(kv.get('hostns')?.[0] ?? ''),
    serviceNs: new Map([...byId('svcns')].map(([id, text]) => [id, namespaces(text)])),
    serviceCaps: new Map([...byId('svccap')].flatMap(([id, hex]) => (/^[0-9a-f]{1,16}$/.test(hex) ? [[id, BigInt(`0x${hex}`)] as const] : []))),
    serviceRoot: byId('svcroot'),
    onbootLogs,
    onbootRunc,
    tasks: parseTasks(output),
  };
}

/** What a declaration says of a service, per field; a field left undefined is not checked. */
interface Spec {
  readonly namespaces: Readonly<Partial<Record<SharableNamespace, NamespaceWish>>>;
  readonly effective?: readonly string[];
  readonly readonlyRoot?: boolean;
}

/** The parts of an OCI spec this check reads, or why it cannot be read. */
function readSpec(json: string): Spec | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return 'its config.json is not JSON';
  }
  const spec = parsed as { linux?: { namespaces?: unknown }; process?: { capabilities?: { effective?: unknown } }; root?: { readonly?: unknown } };
  const list = spec?.linux?.namespaces;
  if (!Array.isArray(list) || !list.every((n) => typeof n?.type === 'string')) return 'its config.json has no linux.namespaces list';
  const effective = spec.process?.capabilities?.effective;
  if (effective !== undefined && (!Array.isArray(effective) || !effective.every((c) => typeof c === 'string'))) return 'its process.capabilities.effective is not a list of names';
  // In OCI a namespace kind that is not listed is the runtime's own (the host's); listed with a path, it joins that one.
  const namespaces: Partial<Record<SharableNamespace, NamespaceWish>> = {};
  for (const kind of sharable) {
    const entry = (list as { type: string; path?: string }[]).find((n) => n.type === kind.oci);
    namespaces[kind.proc] = !entry ? 'host' : entry.path ? 'path' : 'new';
  }
  return { namespaces, effective: (effective as string[] | undefined) ?? [], readonlyRoot: spec.root?.readonly === true };
}

/** The image's spec with what linuxkit.yml itself sets laid over it (the file wins, as in `linuxkit build`). */
function withFile(spec: Spec | undefined, file: FileDeclaration | undefined): Spec {
  const base: Spec = spec ?? { namespaces: {} };
  if (!file) return base;
  return {
    namespaces: { ...base.namespaces, ...file.namespaces },
    ...(file.capabilities ? { effective: file.capabilities } : base.effective ? { effective: base.effective } : {}),
    ...(file.readonly !== undefined ? { readonlyRoot: file.readonly } : base.readonlyRoot !== undefined ? { readonlyRoot: base.readonlyRoot } : {}),
  };
}

const capsIn = (mask: bigint): string[] => capabilityBits.filter((_, bit) => ((mask >> BigInt(bit)) & 1n) === 1n);

interface DeclaredVerdict {
  readonly passed: boolean;
  readonly message: string;
  /** No declarations: the case does not apply. */
  readonly notApplicable?: boolean;
  /** Some declared service has no task yet (it may still be starting). */
  readonly waiting: boolean;
}

interface ToCheck {
  readonly kind: 'services' | 'onboot';
  readonly name: string;
  /** The image's config.json, when it has one. */
  readonly json?: string;
  /** What linuxkit.yml sets, with --linuxkit. */
  readonly file?: FileDeclaration;
}

const sameDeclaration = (a: { kind: string; name: string }, b: { kind: string; name: string }): boolean => a.kind === b.kind && a.name === b.name;

/** The declarations to check: the image's, or with --linuxkit the file's (each with the image's config.json where it has one), and the image's declarations the file does not have. */
function declarationsToCheck(seen: ReturnType<typeof parseDeclared>, linuxkit: LinuxkitFile | undefined): { list: ToCheck[]; strays: ToCheck[] } {
  if (!linuxkit) return { list: seen.declarations, strays: [] };
  const list = linuxkit.declarations.map((file): ToCheck => {
    const inImage = seen.declarations.find((d) => sameDeclaration(d, file));
    return { kind: file.kind, name: file.name, file, ...(inImage ? { json: inImage.json } : {}) };
  });
  const strays = seen.declarations.filter((d) => !linuxkit.declarations.some((f) => sameDeclaration(d, f)));
  return { list, strays };
}

/** " (the image has no /containers/KIND/NAME/config.json)" for a declaration only the linuxkit.yml has, else "". */
const missingInImage = (d: ToCheck): string => (d.json === undefined ? ` (the image has no /containers/${d.kind}/${d.name}/config.json)` : '');

/** Pure judgement of declaredScript's output. */
export function judgeDeclared(output: string, settings: DeclaredSettings): DeclaredVerdict {
  const seen = parseDeclared(output);
  const { list, strays } = declarationsToCheck(seen, settings.linuxkit);
  const source = settings.linuxkit ? settings.linuxkit.file : 'the image';
  if (list.length === 0) {
    const why = settings.linuxkit
      ? `${settings.linuxkit.file} declares no services or onboot containers: nothing to check against`
      : 'the image declares no services (no /containers/services/*/config.json or /containers/onboot/*/config.json): nothing to check against';
    return { passed: false, notApplicable: true, waiting: false, message: why };
  }
  const problems: string[] = strays.map((d) => `${d.kind === 'services' ? 'service' : 'onboot'} ${d.name} is declared in the image (/containers/${d.kind}/${d.name}/config.json) but not in ${source}`);
  const fine: string[] = [];
  let waiting = false;
  for (const d of list.filter((x) => x.kind === 'services')) {
    const imageSpec = d.json === undefined ? undefined : readSpec(d.json);
    if (typeof imageSpec === 'string') {
      problems.push(`service ${d.name}: ${imageSpec}`);
      continue;
    }
    const task = seen.tasks.find((t) => t.namespace === settings.namespace && t.id === d.name);
    if (!task) {
      // Only a service the image declares can still be coming: LinuxKit starts services from their declarations.
      if (d.json !== undefined) waiting = true;
      problems.push(`service ${d.name} is declared${settings.linuxkit ? ` in ${source}` : ''} but has no task in containerd's ${settings.namespace} namespace${missingInImage(d)}`);
      continue;
    }
    if (!taskRunning(task)) {
      problems.push(stoppedText(task));
      continue;
    }
    const differences = compare(d.name, withFile(imageSpec, d.file), seen);
    if (differences.length) problems.push(`service ${d.name} (pid ${task.pid}) ${differences.join(', ')}`);
    else fine.push(`${d.name} (pid ${task.pid})`);
  }
  const onboot = list.filter((x) => x.kind === 'onboot');
  for (const d of onboot) {
    if (!seen.onbootLogs.has(d.name) && !seen.onbootRunc.has(d.name)) {
      problems.push(`onboot ${d.name} is declared but shows no sign of having run (no log in /var/log or /run/log/onboot, no runc record)${missingInImage(d)}`);
    }
  }
  if (problems.length) return { passed: false, waiting, message: problems.join('; ') };
  const ran = onboot.length ? `; onboot ${onboot.map((d) => d.name).join(', ')} ran` : '';
  const declared = settings.linuxkit ? `service declared in ${settings.linuxkit.file}` : 'declared service';
  return { passed: true, waiting: false, message: `every ${declared} runs as its spec says (namespaces, capabilities, read-only root): ${fine.join(', ') || 'none declared'}${ran}` };
}

/** "service rngd was started and is not running: task STOPPED, ..." */
function stoppedText(task: RuntimeTask): string {
  const log = task.logs.length ? `; its last log line: "${task.logs.at(-1)}"` : '';
  return `service ${task.id} is declared and not running: task ${taskStatus(task)} (pid ${task.pid ?? '?'} ${task.state === 'gone' ? 'has exited' : 'is a zombie'})${log}`;
}

/** How a running service differs from its spec, one phrase each (empty: as declared). */
function compare(name: string, spec: Spec, seen: ReturnType<typeof parseDeclared>): string[] {
  const own = seen.serviceNs.get(name);
  const caps = seen.serviceCaps.get(name);
  const root = seen.serviceRoot.get(name);
  const out: string[] = [];
  if (!own || !seen.pid1.mnt) return ["could not have its namespaces read (it may have just exited)"];
  for (const kind of sharable) {
    const wish = spec.namespaces[kind.proc];
    if (wish === undefined || wish === 'path') continue; // not said, or joins a namespace named by path
    const shares = own[kind.proc] !== undefined && own[kind.proc] === seen.pid1[kind.proc];
    if (wish === 'new' && shares) out.push(`shares PID 1's ${kind.proc} namespace ${own[kind.proc]} where its spec says new (fewer namespaces than declared)`);
    if (wish === 'host' && !shares) out.push(`has its own ${kind.proc} namespace ${own[kind.proc] ?? '?'} where its spec shares PID 1's ${seen.pid1[kind.proc] ?? '?'}`);
  }
  if (own.mnt === seen.pid1.mnt) out.push(`runs in PID 1's mount namespace ${own.mnt}`);
  if (caps === undefined) out.push('has unreadable capabilities');
  else if (spec.effective) {
    const declared = new Set(spec.effective);
    const extra = capsIn(caps).filter((c) => !declared.has(c));
    const unknown = caps >> BigInt(capabilityBits.length);
    if (extra.length || unknown) out.push(`has capabilities beyond its spec: ${[...extra, ...(unknown ? [`bits above ${capabilityBits.length - 1}`] : [])].join(', ')}`);
  }
  if (spec.readonlyRoot && !(root ?? '').split(',').includes('ro')) out.push(`has a writable root (${root || 'mount options unreadable'}) where its spec says read-only`);
  return out;
}

export const servicesDeclaredCheck = defineCheck<DeclaredSettings>({
  name: 'services-declared',
  summary: "every service declared by /containers/services/*/config.json runs in containerd as its spec says (namespaces, capabilities, read-only root), and every declared onboot container ran",
  settings: {
    namespace: { type: 'string', pattern: '^[A-Za-z0-9._-]+$', default: 'services.linuxkit', description: "containerd namespace the declared services run in (LinuxKit's: services.linuxkit)." },
  },
  settles: true,
  check: (context) => declaredJudged(context),
});

function declaredJudged(context: CheckContext<DeclaredSettings>): Promise<Verdict> {
  const script = declaredScript(context.settings);
  let waiting = false;
  // Only a declared service without a task yet is waited for; a stopped task stays stopped (LinuxKit does not restart services).
  return settle(
    context,
    async () => {
      const { output } = await context.system.run(script);
      const verdict = judgeDeclared(output, context.settings);
      waiting = verdict.waiting;
      if (verdict.notApplicable) return doesNotApply(verdict.message, output);
      return verdict.passed ? pass(verdict.message, output) : fail(verdict.message, output);
    },
    2000,
    () => waiting,
  );
}
