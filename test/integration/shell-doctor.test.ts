// kittest shell through a real pty, and kittest doctor on this host.
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pty from 'node-pty';
import { kittest, kittestBin } from '../helpers/cli.ts';
import { busyboxImage, shellInit } from '../helpers/images.ts';

test.serial('kittest shell attaches a pty to the console; Ctrl-] leaves, powers off and keeps the log', async (t) => {
  const prefix = await busyboxImage('shell', shellInit());
  const logDir = mkdtempSync(join(tmpdir(), 'kt-shell-'));
  const term = pty.spawn(process.execPath, [kittestBin, 'shell', '--image', prefix, '--log', logDir], { cols: 100, rows: 30, env: { ...process.env, NO_COLOR: '1' } as Record<string, string> });
  let screen = '';
  term.onData((d) => (screen += d));
  const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
  const waitFor = async (re: RegExp, ms: number) => {
    const end = Date.now() + ms;
    while (!re.test(screen)) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${re}; screen ends: ${screen.slice(-300)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  // Type until the shell answers: typing before it is ready is lost, as on a real console.
  const end = Date.now() + 120_000;
  while (!/answer-42/.test(screen) && Date.now() < end) {
    term.write('echo answer-$((6*7))\r');
    await new Promise((r) => setTimeout(r, 2000));
  }
  await waitFor(/answer-42/, 1000);
  term.write('\x1d');
  t.is(await exited, 0);
  t.regex(screen, /left the console, guest powered off/);
  const log = join(logDir, 'x86_64-console.log');
  t.true(existsSync(log));
  t.regex(readFileSync(log, 'utf8'), /answer-42/);
});

test('doctor reports every target with its QEMU version and accelerator, and exits 0 here', async (t) => {
  const r = await kittest(['doctor']);
  t.is(r.exitCode, 0, String(r.stdout));
  for (const target of ['x86_64', 'arm64', 's390x']) t.regex(String(r.stdout), new RegExp(`^${target}\\s+ok\\s+qemu-system-\\S+ \\d+\\.\\d+`, 'm'));
  t.regex(String(r.stdout), /TCG|KVM/);
});

test('doctor exits 1 and names the package when a default target cannot run', async (t) => {
  const { copyFileSync, writeFileSync } = await import('node:fs');
  const { projectRoot } = await import('../../src/config/paths.ts');
  const dir = mkdtempSync(join(tmpdir(), 'kt-doctor-'));
  copyFileSync(join(projectRoot, 'targets', 'x86_64.yml'), join(dir, 'x86_64.yml'));
  writeFileSync(join(dir, 'arm64.yml'), readFileSync(join(projectRoot, 'targets', 'arm64.yml'), 'utf8').replace('binary: qemu-system-aarch64', 'binary: qemu-system-missing'));
  const r = await kittest(['doctor'], { KITTEST_TARGETS: dir });
  t.is(r.exitCode, 1);
  t.regex(String(r.stdout), /arm64\s+missing\s+qemu-system-missing missing: apt-get install qemu-system-arm/);
});

test('doctor names the UEFI firmware package when it is missing, without failing the target', async (t) => {
  const { writeFileSync } = await import('node:fs');
  const { projectRoot } = await import('../../src/config/paths.ts');
  const dir = mkdtempSync(join(tmpdir(), 'kt-doctor-'));
  writeFileSync(join(dir, 'x86_64.yml'), readFileSync(join(projectRoot, 'targets', 'x86_64.yml'), 'utf8').replace('code: /usr/share/OVMF/OVMF_CODE_4M.fd', 'code: /usr/share/OVMF/kittest-missing-OVMF_CODE.fd'));
  const r = await kittest(['doctor'], { KITTEST_TARGETS: dir });
  t.is(r.exitCode, 0, String(r.stdout));
  t.regex(String(r.stdout), /UEFI firmware \/usr\/share\/OVMF\/kittest-missing-OVMF_CODE\.fd missing \(only \*-efi formats\): apt-get install ovmf/);
  t.regex(String(r.stdout), /formats kernel\+initrd, kernel\+squashfs, kernel\+erofs, iso-bios, iso-efi, raw-bios, raw-efi, qcow2-bios, qcow2-efi/);
});
