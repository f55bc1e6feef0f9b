// The TypeScript API on real guests: `boot` takes the same path as `kittest run` (targets, image
// plan, BootSession), reports a boot that reaches no shell as BootFailed naming where it stopped,
// and leaves nothing behind when the machine stops.
import test from 'ava';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boot, BootFailed, ConfigError, UsageError } from '../../src/api/index.ts';
import { brokenImage, referenceImage } from '../helpers/images.ts';

const made: string[] = [];
test.after.always(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
/** A fresh temporary folder, removed after the file's tests. */
function scratch(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

test.serial('bad input is refused before anything boots, with the CLI\'s one-line errors', async (t) => {
  await t.throwsAsync(boot({ target: 'vax' }), { instanceOf: UsageError, message: /unknown arch "vax" \(known: .*x86_64/ });
  const dir = scratch('kt-api-targets-');
  writeFileSync(join(dir, 'board.yml'), 'name: board\nextends: pdp11\n');
  await t.throwsAsync(boot({ target: 'board', targets: [dir] }), { instanceOf: ConfigError, message: /board\.yml:2: extends: no built-in target "pdp11"/ });
  await t.throwsAsync(boot({ target: 'x86_64', accel: 'fast' as 'tcg' }), { instanceOf: UsageError, message: /accel must be auto, kvm or tcg/ });
});

test.serial('a machine: commands in the system and in the console shell, the wire, QMP; stop removes its files and keeps the artifacts', async (t) => {
  const runRoot = scratch('kt-api-run-');
  const artifacts = scratch('kt-api-art-');
  const savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = runRoot; // the machine's private folder goes here, so its removal can be seen
  try {
    const machine = await boot({ target: 'x86_64', image: await referenceImage('x86_64'), accel: 'tcg', artifactsDir: artifacts });
    try {
      t.is(readdirSync(runRoot).length, 1, 'one private folder while it runs');
      const nonce = `api-${Date.now()}`;
      t.is((await machine.succeed(`echo ${nonce}`)).trim(), nonce);
      const { status, output } = await machine.execute('echo out; exit 3');
      t.deepEqual({ status, output: output.trim() }, { status: 3, output: 'out' });
      await t.throwsAsync(machine.succeed('exit 4'), { message: /"exit 4" failed with exit status 4/ });
      await t.throwsAsync(machine.fail('true'), { message: /"true" succeeded but was expected to fail/ });
      await t.throwsAsync(machine.waitUntilSucceeds('false', { timeoutMs: 2500, intervalMs: 500 }), { message: /"false" did not succeed within 2500 ms \(\d+ attempts\); last exit status 1/ });
      t.is(machine.lease()?.address, '10.0.2.15');
      t.is(await machine.status(), 'running');
      t.regex(machine.context, /nsenter|PID 1's namespaces/);
      // Without a terminal there is no one to hand the console to (the attach itself is the one `kittest shell` and `run --keep-failed` use, tested through a pty).
      await t.throwsAsync(machine.shell(), { instanceOf: UsageError, message: 'machine.shell() needs a terminal on stdin and stdout' });
    } finally {
      await machine.stop();
      await machine.stop(); // twice is harmless
    }
    t.deepEqual(readdirSync(runRoot), [], 'the private folder is gone');
    t.deepEqual(readdirSync(artifacts).sort(), ['console.log', 'network.pcap', 'qemu-argv.json', 'qemu-cmdline.txt']);
    t.regex(readFileSync(join(artifacts, 'console.log'), 'utf8'), /Linux version/);
    await t.throwsAsync(machine.succeed('true'), { message: /machine stopped|QEMU ended/ });
  } finally {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
  }
});

test.serial('a boot that reaches no shell rejects with BootFailed naming where it stopped, and QEMU is stopped', async (t) => {
  const runRoot = scratch('kt-api-run-');
  const savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = runRoot;
  try {
    const error = await t.throwsAsync(boot({ target: 'x86_64', image: await brokenImage('no-init', 'x86_64'), accel: 'tcg' }), { instanceOf: BootFailed });
    t.is(error?.status, 'failed');
    t.regex(error?.message ?? '', /^boot on x86_64 failed: .*(Kernel panic|No working init)/);
    t.true((error?.console.length ?? 0) > 0);
    t.deepEqual(readdirSync(runRoot), [], 'nothing left behind');
  } finally {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
  }
});
