// Images shared by the integration tests: built once into the cache, reused by every test.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ensureImage } from '../../src/images/builder.ts';
import { cacheDir, imagesDir } from '../../src/config/paths.ts';
import { S_IFCHR, S_IFDIR, writeCpioFromTree } from '../../src/images/cpio.ts';
import { buildOnce } from '../../src/util/build-once.ts';

/** Prefix of the reference image for `target` (built if missing). */
export async function referenceImage(target: string): Promise<string> {
  return (await ensureImage(join(imagesDir, 'reference.yml'), target)).prefix;
}

/** Prefix of a broken variant from images/broken/NAME.yml for `target`. */
export async function brokenImage(name: string, target = 'x86_64'): Promise<string> {
  return (await ensureImage(join(imagesDir, 'broken', `${name}.yml`), target)).prefix;
}

/**
 * A tiny image for fault tests: the reference x86_64 kernel with an initramfs holding only the
 * host's static busybox and the given /init script. Cached by the script's hash.
 */
export async function busyboxImage(name: string, init: string, cmdline = 'panic=-1'): Promise<string> {
  const kernel = `${await referenceImage('x86_64')}-kernel`;
  const key = createHash('sha256').update(init).update(cmdline).update(kernel).digest('hex').slice(0, 12);
  const dir = join(cacheDir(), 'fixtures', `${name}-${key}`);
  await buildOnce(
    dir,
    (d) => existsSync(join(d, `${name}-initrd.img`)),
    async ({ out, scratch }) => {
      const root = join(scratch, 'root');
      for (const sub of ['bin', 'proc', 'sys', 'dev', 'tmp']) mkdirSync(join(root, sub), { recursive: true });
      copyFileSync('/bin/busybox', join(root, 'bin', 'busybox'));
      writeFileSync(join(root, 'init'), init, { mode: 0o755 });
      const cpio = join(scratch, 'initrd.cpio');
      writeCpioFromTree(root, cpio, [
        { path: 'dev', mode: S_IFDIR | 0o755 },
        { path: 'dev/console', mode: S_IFCHR | 0o600, rdev: { major: 5, minor: 1 } },
      ]);
      writeFileSync(join(out, `${name}-initrd.img`), gzipSync(readFileSync(cpio)));
      copyFileSync(kernel, join(out, `${name}-kernel`));
      writeFileSync(join(out, `${name}-cmdline`), cmdline);
    },
  );
  return join(dir, name);
}

/** An init that gives a shell on the console, like the simplest image would. */
export const shellInit = (before = '') => `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
${before}
while :; do setsid cttyhack sh -l; done
`;
