import test from 'ava';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DebianArchive, type DebCandidate, verifiedCachedDeb } from '../../src/images/apt.ts';

const good = Buffer.from('!<arch>\ndebian-binary   the real package\n');
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

const candidate: DebCandidate = {
  name: 'runc',
  version: '1.1.15+ds1-2',
  arch: 'amd64',
  filename: 'pool/main/r/runc/runc_1.1.15+ds1-2_amd64.deb',
  sha256: sha256(good),
  size: good.length,
  depends: '',
  baseUrl: 'http://archive.invalid/debian',
};

/** An archive rooted in a fresh temp folder, with `content` already in its .deb cache. */
function archiveWithCached(content: Buffer): { archive: DebianArchive; cached: string; lines: string[] } {
  const root = mkdtempSync(join(tmpdir(), 'kt-apt-'));
  mkdirSync(join(root, 'debs'));
  const cached = join(root, 'debs', 'runc_1.1.15+ds1-2_amd64.deb');
  writeFileSync(cached, content);
  const lines: string[] = [];
  return { archive: new DebianArchive(root, 'http://archive.invalid/debian', 'trixie', (line) => lines.push(line)), cached, lines };
}

/** Replace fetch for one call of `fn`, counting requests and answering with `body`. */
async function withFetch<T>(body: Buffer, fn: (requests: string[]) => Promise<T>): Promise<T> {
  const original = globalThis.fetch;
  const requests: string[] = [];
  globalThis.fetch = (async (url: string | URL | Request) => {
    requests.push(String(url));
    return new Response(new Uint8Array(body), { status: 200 });
  }) as typeof fetch;
  try {
    return await fn(requests);
  } finally {
    globalThis.fetch = original;
  }
}

test('a cached .deb of the right size and the index sha256 is reused', async (t) => {
  const { cached, lines } = archiveWithCached(good);
  t.true(await verifiedCachedDeb(cached, candidate, (line) => lines.push(line)));
  t.true(existsSync(cached));
  t.deepEqual(lines, []);
});

test('a cached .deb of the right size but other content is deleted, naming both sums', async (t) => {
  const bad = Buffer.alloc(good.length, 0x41);
  const { cached, lines } = archiveWithCached(bad);
  t.false(await verifiedCachedDeb(cached, candidate, (line) => lines.push(line)));
  t.false(existsSync(cached));
  t.is(lines.length, 1);
  t.true(lines[0]!.includes(cached));
  t.true(lines[0]!.includes(`sha256 ${sha256(bad)}`));
  t.true(lines[0]!.includes(`the signed index says sha256 ${candidate.sha256}`));
});

test.serial('download fetches a cached .deb again when its content is not what the index says', async (t) => {
  const { archive, cached, lines } = archiveWithCached(Buffer.alloc(good.length, 0x41));
  const path = await withFetch(good, async (requests) => {
    const result = await archive.download(candidate);
    t.deepEqual(requests, [`${candidate.baseUrl}/${candidate.filename}`]);
    return result;
  });
  t.is(path, cached);
  t.deepEqual(readFileSync(cached), good);
  t.true(lines.some((l) => l.startsWith(`cached ${cached} has sha256 `)));
});

test.serial('download uses a verified cached .deb without asking the archive', async (t) => {
  const { archive, cached } = archiveWithCached(good);
  await withFetch(Buffer.alloc(0), async (requests) => {
    t.is(await archive.download(candidate), cached);
    t.deepEqual(requests, []);
  });
});

test.serial('two archives sharing one cache download a missing .deb once', async (t) => {
  const { archive, cached } = archiveWithCached(good);
  rmSync(cached);
  const other = new DebianArchive(archive.root, archive.mirror, archive.suite);
  const paths = await withFetch(good, async (requests) => {
    const both = await Promise.all([archive.download(candidate), other.download(candidate)]);
    t.is(requests.length, 1);
    return both;
  });
  t.deepEqual(paths, [cached, cached]);
  t.deepEqual(readFileSync(cached), good);
});
