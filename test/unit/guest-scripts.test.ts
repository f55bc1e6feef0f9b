// The fork-free guest scripts (host facts, the DHCP client scan) run by the shells guests have,
// against this machine's own /proc, with a process started under a service's name; and the
// gzip check and gzipped framing in the same shells.
import test from 'ava';
import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerdScript, judgeContainerd } from '../../src/cases/checks/containerd.ts';
import { systemFactsScript, parseSystemFacts } from '../../src/cases/system-facts.ts';
import { isolationScript } from '../../src/cases/checks/services-isolated.ts';
import { parseScan } from '../../src/cases/service-scan.ts';
import { processScan } from '../../src/console/guest-output.ts';
import { decideSystemContext, systemContextScript } from '../../src/boot/system-context.ts';
import { decodeFrame, frameCommand } from '../../src/console/framing.ts';

const shells = { dash: ['dash', ['-c']], busybox: ['busybox', ['sh', '-c']] } as const;

/** A `sleep` copied to the name `name`, running until the test ends; its pid. */
function runAs(t: { teardown: (f: () => void) => void }, name: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'kt-scripts-'));
  copyFileSync('/bin/sleep', join(dir, name));
  const child = spawn(join(dir, name), ['30'], { stdio: 'ignore' });
  t.teardown(() => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  return child.pid!;
}

for (const [name, [program, args]] of Object.entries(shells)) {
  test.serial(`host facts read memory, uptime and a service's RSS and start time (${name})`, async (t) => {
    const pid = runAs(t, 'rngd');
    const { stdout } = await execa(program, [...args, systemFactsScript]);
    const facts = parseSystemFacts(stdout);
    t.true((facts.usedKiB ?? 0) > 0);
    t.true((facts.uptimeS ?? 0) > 0);
    t.true((facts.rssKiB.rngd ?? 0) > 0, stdout);
    const stat = (await execa('cat', [`/proc/${pid}/stat`])).stdout;
    const start = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    t.is(facts.startedAtS.rngd, start / 100);
  });

  test.serial(`the DHCP client scan finds a client by name with its namespaces and ancestors (${name})`, async (t) => {
    const pid = runAs(t, 'udhcpc');
    const { stdout } = await execa(program, [...args, processScan('client', ['udhcpc', 'dhcpcd'])]);
    const line = stdout.split('\n').find((l) => l.startsWith(`client=${pid} `));
    t.regex(line ?? stdout, new RegExp(`^client=${pid} udhcpc mnt:\\[\\d+\\] pid:\\[\\d+\\] \\S`));
    t.notRegex(line ?? '', / .* .* .* .* .* /, 'ancestor names with spaces are joined with _');
  });
}

// ---- A DHCP client is found by its socket, whatever its name ----

/** python3 copied to the name `name`, holding a UDP socket bound to port 68 and an AF_PACKET socket; its pid once both are open. */
async function socketHolder(t: { teardown: (f: () => void) => void }, name: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'kt-sock-'));
  const python = (await execa('python3', ['-c', 'import sys; print(sys.executable)'])).stdout;
  copyFileSync(python, join(dir, name));
  const program = [
    'import socket, sys, time',
    'u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); u.bind(("127.0.0.1", 68))',
    'p = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))',
    'print("ready", flush=True); time.sleep(30)',
  ].join('\n');
  const child = spawn(join(dir, name), ['-c', program], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`socket holder exited ${code}`)));
  });
  return child.pid!;
}

const isolationSettings = { sources: ['/dev/hwrng'], feeds: ['/dev/random'], processNames: ['rngd'], clientNames: ['udhcpc'] };

for (const [name, [program, args]] of Object.entries(shells)) {
  test.serial(`the isolation scan finds a process holding UDP port 68 and a packet socket, by the kernel's socket tables (${name})`, async (t) => {
    const pid = await socketHolder(t, 'netcfg');
    const { stdout } = await execa(program, [...args, isolationScript(isolationSettings)]);
    const holder = parseScan(stdout).processes.get(pid);
    t.truthy(holder, stdout);
    t.is(holder!.comm, 'netcfg');
    t.deepEqual(holder!.sockets.map((s) => s.kind).sort(), ['packet', 'udp68']);
    t.true(holder!.ns.mnt !== undefined, 'its namespaces are read for the judgement');
  });
}

// ---- The containerd script starts ctr only when there is a socket to ask ----

for (const [name, [program, args]] of Object.entries(shells)) {
  test.serial(`the containerd script asks ctr only when the socket exists (${name})`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-ctr-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    // A stand-in ctr that records each start and answers as a daemon would.
    writeFileSync(join(dir, 'ctr'), `#!/bin/sh\necho "$*" >> ${dir}/starts\nprintf 'Client:\\n  Version:  1\\n\\nServer:\\n  Version:  9.9\\n'\n`, { mode: 0o755 });
    const settings = { socket: join(dir, 'containerd.sock') };
    const env = { PATH: `${dir}:${process.env.PATH}` };
    const starts = () => readFileSync(join(dir, 'starts'), 'utf8').trim().split('\n');

    const missing = (await execa(program, [...args, containerdScript(settings)], { env })).stdout;
    t.regex(missing, /^socket=missing$/m);
    t.regex(missing, /^ctr=not-asked$/m);
    t.throws(starts, { code: 'ENOENT' }, 'no ctr start without a socket');
    t.is(judgeContainerd(missing, settings).message, `containerd does not answer on ${settings.socket}: there is no ${settings.socket} (no process is named containerd)`);

    writeFileSync(settings.socket, '');
    const notSocket = (await execa(program, [...args, containerdScript(settings)], { env })).stdout;
    t.regex(notSocket, /^ctr=not-asked$/m);
    t.regex(judgeContainerd(notSocket, settings).message, /is not a socket/);
    rmSync(settings.socket);

    const server = createServer().listen(settings.socket);
    t.teardown(() => server.close());
    await new Promise((resolve) => server.once('listening', resolve));
    const answered = (await execa(program, [...args, containerdScript(settings)], { env })).stdout;
    t.deepEqual(starts(), ['version']);
    t.true(judgeContainerd(answered, settings).passed, answered);
    t.regex(judgeContainerd(answered, settings).message, /^containerd 9\.9 answers on /);
  });
}

// ---- Typing scripts gzipped: the context script's check and the framing, in the shells guests have ----

for (const [name, [program, args]] of Object.entries(shells)) {
  test(`the context script finds out whether the shell can unpack gzip, and a gzipped frame runs (${name})`, async (t) => {
    t.true(decideSystemContext((await execa(program, [...args, systemContextScript])).stdout).gzip);
    // A guest whose gzip fails (or is missing: the shell's "not found" fails the same way).
    t.false(decideSystemContext((await execa(program, [...args, `gzip() { return 127; }\n${systemContextScript}`])).stdout).gzip);

    const script = `${Array.from({ length: 200 }, (_, i) => `echo "line ${i} ☃"`).join('\n')}\nexit 4`;
    const framed = frameCommand(script, 'n5', { maxLineBytes: 1000, gzip: true });
    t.truthy(framed.undecoded);
    const typed = [...framed.setup.map((piece) => piece.line), framed.line].join('\n');
    const text = (await execa(program, [...args, typed], { reject: false })).stdout;
    const end = framed.end.exec(`${text}\n`);
    t.is(end?.[1], '4');
    const decoded = decodeFrame(text.slice(text.indexOf(framed.begin) + framed.begin.length, end?.index), { sum: end?.[2] ?? 'none', length: end?.[3] ?? 'none' });
    t.true(decoded.ok && decoded.bytes.toString() === Array.from({ length: 200 }, (_, i) => `line ${i} ☃\n`).join(''));
  });
}
