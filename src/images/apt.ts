// Access to the Debian archive through a private apt configuration under the cache
// (the host's apt is never touched): signed index download, package lookup, cached .deb downloads.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, utimesSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HostError } from '../errors.ts';
import { withFileLock } from '../util/file-lock.ts';
import { onInterruptExit } from '../util/signals.ts';
import { sha256File } from '../util/sha256.ts';
import { compareDebianVersions } from './debversion.ts';
import { run } from './exec.ts';

const keyring = '/usr/share/keyrings/debian-archive-keyring.gpg';
const maxListAgeMs = 7 * 24 * 3600 * 1000;
/** apt-get update runs in flight, by lists folder. */
const updating = new Map<string, Promise<void>>();

/** Lists fetched with a failing source are refreshed again after this long. */
const retryFailedListsMs = 3600 * 1000;

/** One version of one package as the archive index describes it. */
export interface DebCandidate {
  name: string;
  version: string;
  arch: string;
  filename: string;
  sha256: string;
  size: number;
  depends: string;
  baseUrl: string;
}

/** A package name that no index lists for the architecture. */
export class UnknownPackageError extends Error {
  constructor(readonly packageName: string, readonly arch: string) {
    super(`unknown Debian package ${packageName} for ${arch}`);
  }
}

interface Source {
  uri: string;
  suite: string;
}

/** The Debian archive for one suite, cached under `root` (package lists kept per architecture, so a
 *  mirror hiccup on one architecture's index does not hide the others). */
export class DebianArchive {
  private readonly indexes = new Map<string, Map<string, DebCandidate[]>>();

  constructor(
    readonly root: string,
    readonly mirror: string,
    readonly suite: string,
    /** Progress lines go here; the archive is shared, so each user points it at its own log. */
    public log: (line: string) => void = () => {},
  ) {}

  private sources(): Source[] {
    return [
      { uri: this.mirror, suite: this.suite },
      { uri: `${this.mirror}-security`, suite: `${this.suite}-security` },
    ];
  }

  private dir(arch: string): string {
    return join(this.root, this.suite, arch);
  }

  private aptOptions(arch: string): string[] {
    const dir = this.dir(arch);
    return [
      '-o', `Dir::State::Lists=${join(dir, 'lists')}`,
      '-o', `Dir::Etc::sourcelist=${join(dir, 'sources.list')}`,
      '-o', 'Dir::Etc::sourceparts=-',
      '-o', `Dir::Cache=${join(dir, 'apt-cache')}`,
      '-o', `Dir::State::status=${join(dir, 'status')}`,
      '-o', `APT::Architectures=${arch}`,
      '-o', 'Acquire::Languages=none',
      '-o', 'Debug::NoLocking=1',
      '-o', 'APT::Sandbox::User=root',
    ];
  }

  private stampFile(arch: string): string {
    return join(this.dir(arch), 'updated');
  }

  private listsFresh(arch: string): boolean {
    const stamp = this.stampFile(arch);
    return existsSync(stamp) && Date.now() - statSync(stamp).mtimeMs < maxListAgeMs;
  }

  /** Download the signed indexes for `arch` unless fresh ones are cached (stale ones are used if the archive is unreachable). */
  update(arch: string): Promise<void> {
    // Two archive objects for one suite share the lists folder: one apt-get update at a time per folder,
    // in this process (one promise) and across processes sharing the cache (a lock file; apt's own lock is off).
    const dir = this.dir(arch);
    if (this.listsFresh(arch)) return Promise.resolve();
    let pending = updating.get(dir);
    if (!pending) {
      const waiting = (holder: string): void => this.log(`waiting for ${holder}, which is updating the Debian ${this.suite} package lists for ${arch}`);
      pending = withFileLock(join(dir, 'update.lock'), () => this.updateNow(arch), waiting).finally(() => updating.delete(dir));
      updating.set(dir, pending);
    }
    return pending;
  }

  private async updateNow(arch: string): Promise<void> {
    if (this.listsFresh(arch)) return;
    const dir = this.dir(arch);
    const haveOld = existsSync(this.stampFile(arch));
    mkdirSync(join(dir, 'lists', 'partial'), { recursive: true });
    mkdirSync(join(dir, 'apt-cache', 'archives', 'partial'), { recursive: true });
    writeFileSync(join(dir, 'status'), '');
    const lines = this.sources().map((s) => `deb [arch=${arch} signed-by=${keyring}] ${s.uri} ${s.suite} main`);
    writeFileSync(join(dir, 'sources.list'), `${lines.join('\n')}\n`);
    this.log(`updating the Debian ${this.suite} package lists for ${arch} from ${this.mirror}`);
    const result = await run('apt-get', [...this.aptOptions(arch), 'update']);
    const failure = /^(E:|W: Failed to fetch).*$/m.exec(result.stderr);
    if (this.listFiles(arch, this.sources()[0]!).length === 0) {
      if (haveOld) {
        this.log(`warning: cannot refresh the package lists, using the cached ones (${failure?.[0] ?? 'apt-get failed'})`);
        return;
      }
      const why = (failure?.[0] ?? `apt-get update exit status ${result.code}`).replace(/^[EW]: /, '');
      throw new HostError(`cannot reach the Debian archive at ${this.mirror}: ${why}`);
    }
    writeFileSync(this.stampFile(arch), `${new Date().toISOString()}\n`);
    if (failure) {
      this.log(`warning: ${failure[0].replace(/^[EW]: /, '')} (will try again in an hour)`);
      // One source failed (e.g. -security out of sync): keep what came, but call it fresh for an hour only.
      const staleAt = new Date(Date.now() - maxListAgeMs + retryFailedListsMs);
      utimesSync(this.stampFile(arch), staleAt, staleAt);
    }
    this.indexes.delete(arch);
    rmSync(join(dir, 'index.json'), { force: true });
  }

  /** Identifies the package lists in use for `arch` (refreshing them first if stale). */
  async listsVersion(arch: string): Promise<string> {
    await this.update(arch);
    return `${this.suite}/${arch}@${statSync(this.stampFile(arch)).mtimeMs}`;
  }

  private listFiles(arch: string, source: Source): string[] {
    const prefix = `${source.uri.replace(/^\w+:\/\//, '').replace(/\//g, '_')}_dists_${source.suite}_main_binary-${arch}_`;
    const listsDir = join(this.dir(arch), 'lists');
    if (!existsSync(listsDir)) return [];
    return readdirSync(listsDir)
      .filter((f) => f.startsWith(prefix) && /_Packages(\.\w+)?$/.test(f))
      .map((f) => join(listsDir, f));
  }

  /** Package name -> versions (newest first) for one architecture, including arch:all packages. */
  private async index(arch: string): Promise<Map<string, DebCandidate[]>> {
    const cached = this.indexes.get(arch);
    if (cached) return cached;
    await this.update(arch);
    const indexFile = join(this.dir(arch), 'index.json');
    let entries: DebCandidate[];
    if (existsSync(indexFile)) {
      entries = JSON.parse(readFileSync(indexFile, 'utf8')) as DebCandidate[];
    } else {
      entries = [];
      for (const source of this.sources()) {
        const base = source.uri;
        for (const list of this.listFiles(arch, source)) {
          const text = await run('/usr/lib/apt/apt-helper', ['cat-file', list]);
          if (text.code !== 0) throw new HostError(`cannot read the package list ${list}: ${text.stderr.trim()}`);
          entries.push(...parsePackages(text.stdout, base));
        }
      }
      const partial = `${indexFile}.${randomBytes(4).toString('hex')}`;
      writeFileSync(partial, JSON.stringify(entries));
      renameSync(partial, indexFile);
    }
    const map = new Map<string, DebCandidate[]>();
    for (const entry of entries) {
      if (entry.arch !== arch && entry.arch !== 'all') continue;
      const list = map.get(entry.name) ?? [];
      list.push(entry);
      map.set(entry.name, list);
    }
    for (const list of map.values()) list.sort((a, b) => compareDebianVersions(b.version, a.version));
    this.indexes.set(arch, map);
    return map;
  }

  /** Every version of `name` for `arch`, newest first; UnknownPackageError if the archive has none. */
  async candidates(name: string, arch: string): Promise<DebCandidate[]> {
    const list = (await this.index(arch)).get(name);
    if (!list || list.length === 0) throw new UnknownPackageError(name, arch);
    return list;
  }

  /** The path of the cached .deb for `candidate`, downloading it if needed; null if the archive does not have the file.
   *  A cached file is used only when its sha256 is the signed index's; any other is deleted and fetched again. */
  async download(candidate: DebCandidate): Promise<string | null> {
    const debsDir = join(this.root, 'debs');
    const target = join(debsDir, basename(candidate.filename));
    if ((await checkCachedDeb(target, candidate)).ok) return target;
    // One download of a file at a time across processes; the second finds the first one's file.
    const waiting = (holder: string): void => this.log(`waiting for ${holder}, which is downloading ${basename(candidate.filename)}`);
    return withFileLock(join(this.root, 'locks', `${basename(candidate.filename)}.lock`), () => this.downloadNow(candidate, target), waiting);
  }

  private async downloadNow(candidate: DebCandidate, target: string): Promise<string | null> {
    if (await verifiedCachedDeb(target, candidate, this.log)) return target;
    const debsDir = dirname(target);
    mkdirSync(debsDir, { recursive: true });
    const url = `${candidate.baseUrl}/${candidate.filename}`;
    let response: Response;
    try {
      response = await fetch(url);
    } catch (error) {
      throw new HostError(`cannot reach the Debian archive at ${candidate.baseUrl}: ${(error as Error).cause ?? (error as Error).message}`);
    }
    if (response.status === 404 || response.status === 410) return null;
    if (!response.ok || !response.body) throw new HostError(`downloading ${url} failed: HTTP ${response.status}`);
    this.log(`downloading ${candidate.name} ${candidate.version} (${candidate.arch}, ${(candidate.size / 1e6).toFixed(1)} MB)`);
    const partial = `${target}.partial-${randomBytes(4).toString('hex')}`;
    const forget = onInterruptExit(() => rmSync(partial, { force: true }));
    const hash = createHash('sha256');
    const hasher = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), hasher, createWriteStream(partial));
      const digest = hash.digest('hex');
      if (digest !== candidate.sha256) throw new HostError(`downloaded ${basename(candidate.filename)} has sha256 ${digest}, the signed index says ${candidate.sha256}`);
      renameSync(partial, target);
    } catch (error) {
      rmSync(partial, { force: true });
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC') throw new HostError(`disk full while downloading ${basename(candidate.filename)} into ${debsDir}`);
      if (error instanceof HostError) throw error;
      throw new HostError(`downloading ${url} failed: ${(error as Error).message}`);
    } finally {
      forget();
    }
    return target;
  }
}

/** Whether the file at `path` is the .deb the signed index describes (size, then sha256); if it is there
 *  but is not, `mismatch` says what it has and what the index says. */
async function checkCachedDeb(path: string, candidate: DebCandidate): Promise<{ ok: boolean; mismatch?: string }> {
  if (!existsSync(path)) return { ok: false };
  const size = statSync(path).size;
  if (size !== candidate.size) return { ok: false, mismatch: `has ${size} bytes, the signed index says ${candidate.size}` };
  const digest = await sha256File(path);
  if (digest !== candidate.sha256) return { ok: false, mismatch: `has sha256 ${digest}, the signed index says sha256 ${candidate.sha256}` };
  return { ok: true };
}

/** Whether the cached .deb at `path` can be used for `candidate`. One that cannot (a truncated
 *  download, a file changed on disk) is deleted, with a line naming both sums. */
export async function verifiedCachedDeb(path: string, candidate: DebCandidate, log: (line: string) => void = () => {}): Promise<boolean> {
  const check = await checkCachedDeb(path, candidate);
  if (check.mismatch) {
    log(`cached ${path} ${check.mismatch}: deleting it and downloading it again`);
    rmSync(path, { force: true });
  }
  return check.ok;
}

/** Parse a Packages index into candidates (only the fields the builder needs). */
export function parsePackages(text: string, baseUrl: string): DebCandidate[] {
  const result: DebCandidate[] = [];
  let fields = new Map<string, string>();
  const flush = (): void => {
    const name = fields.get('Package');
    const version = fields.get('Version');
    const filename = fields.get('Filename');
    if (name && version && filename) {
      const depends = [fields.get('Pre-Depends'), fields.get('Depends')].filter(Boolean).join(', ');
      const arch = fields.get('Architecture') ?? 'all';
      result.push({ name, version, arch, filename, sha256: fields.get('SHA256') ?? '', size: Number(fields.get('Size') ?? 0), depends, baseUrl });
    }
    fields = new Map();
  };
  for (const line of text.split('\n')) {
    if (line === '') {
      flush();
      continue;
    }
    if (line.startsWith(' ')) continue;
    const colon = line.indexOf(': ');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 2));
  }
  flush();
  return result;
}
