import test from 'ava';
import { rmSync, statSync } from 'node:fs';
import { makeRunDir } from '../../src/qemu/machine.ts';

test("each VM's private folder (QMP socket, scratch) is readable by its owner only", (t) => {
  const dir = makeRunDir('x86_64');
  try {
    t.is(statSync(dir).mode & 0o777, 0o700);
  } finally {
    rmSync(dir, { recursive: true });
  }
});
