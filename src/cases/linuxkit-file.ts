// The linuxkit.yml that built an image, read on the host (`kittest run --linuxkit FILE`): the list
// of onboot containers and services the image must have, and what the file itself says of each one.
//
// Facts from LinuxKit's moby config (its `linuxkit build`; no code taken): onboot container i is
// declared in /containers/onboot/NNN-NAME (NNN = i, three digits); net, ipc and uts are the host's
// unless set (to new, none or a path), pid is new unless `host`; `capabilities` replaces the
// image label's list (`all` and `none` are words for every and no capability), `capabilities.add`
// adds to it; `readonly` makes the root read-only. What the file leaves out comes from the image's
// label, which only the image knows: the judge takes it from the image's own config.json.
import { type FileDeclaration, type LinuxkitFile, type NamespaceWish, type SharableNamespace } from './declarations.ts';
import { capabilityBits } from '../util/capabilities.ts';
import { ConfigError } from '../errors.ts';
import type { CaseDef } from './case-files.ts';
import { displayPath, lineOfField, loadYamlFile } from '../config/load-yaml.ts';

const entry = {
  type: 'object',
  required: ['name', 'image'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,96}$' },
    image: { type: 'string', minLength: 1 },
    capabilities: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z_]{1,40}$' } },
    'capabilities.add': { type: 'array', items: { type: 'string', pattern: '^[A-Za-z_]{1,40}$' } },
    net: { type: 'string' },
    pid: { type: 'string' },
    ipc: { type: 'string' },
    uts: { type: 'string' },
    readonly: { type: 'boolean' },
  },
} as const;

// Only the parts kittest reads are checked; LinuxKit's other keys (kernel, init, files, ...) pass.
const schema = {
  key: 'linuxkit.yml (the parts kittest reads)',
  schema: {
    type: 'object',
    properties: { onboot: { type: 'array', items: entry }, services: { type: 'array', items: entry } },
  },
};

interface Entry {
  name: string;
  capabilities?: string[];
  'capabilities.add'?: string[];
  net?: string;
  pid?: string;
  ipc?: string;
  uts?: string;
  readonly?: boolean;
}

/** `all`, `none`, or the list as written. */
function capabilityList(list: readonly string[]): string[] {
  if (list.length === 1 && list[0]!.toLowerCase() === 'all') return [...capabilityBits];
  if (list.length === 1 && list[0]!.toLowerCase() === 'none') return [];
  return [...list];
}

/** What a namespace setting asks for: the host's ("host", "root"), a new one ("new", "none"), or one named by path. */
function wish(value: string | undefined): NamespaceWish | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'host' || value === 'root') return 'host';
  if (value === 'new' || value === 'none') return 'new';
  return 'path';
}

function declaration(kind: FileDeclaration['kind'], name: string, e: Entry): FileDeclaration {
  const namespaces: Partial<Record<SharableNamespace, NamespaceWish>> = {};
  for (const ns of ['pid', 'net', 'ipc', 'uts'] as const) {
    const w = wish(e[ns]);
    if (w) namespaces[ns] = w;
  }
  return {
    kind,
    name,
    ...(e.capabilities ? { capabilities: [...capabilityList(e.capabilities), ...(e['capabilities.add'] ?? [])] } : {}),
    namespaces,
    ...(e.readonly !== undefined ? { readonly: e.readonly } : {}),
  };
}

/** Read a linuxkit.yml; bad input is a ConfigError naming file:line and the field (exit 2). */
export function loadLinuxkitFile(file: string): LinuxkitFile {
  const data = loadYamlFile<{ onboot?: Entry[]; services?: Entry[] }>(file, schema);
  const onboot = (data.onboot ?? []).map((e, i) => declaration('onboot', `${String(i).padStart(3, '0')}-${e.name}`, e));
  const services = (data.services ?? []).map((e) => declaration('services', e.name, e));
  // LinuxKit refuses two services of one name: their declarations would share a folder.
  const seen = new Set<string>();
  for (const [i, s] of services.entries()) {
    if (seen.has(s.name)) throw new ConfigError(displayPath(file), `services[${i}].name: a second service named "${s.name}"`, lineOfField(file, ['services', i, 'name']));
    seen.add(s.name);
  }
  return { file: displayPath(file), declarations: [...onboot, ...services] };
}

/** The cases, with the file's declarations handed to every services-declared case (the file is the list it checks). */
export function withLinuxkitFile(cases: readonly CaseDef[], linuxkit: LinuxkitFile): CaseDef[] {
  return cases.map((c) => (c.check === 'services-declared' ? { ...c, settings: { ...c.settings, linuxkit } } : c));
}
