// Find the QEMU processes of kittest runs by their private run folder (TMPDIR/kittest-*): a QEMU
// left behind is reparented, so looking for children of kittest would miss it.
import { execa } from 'execa';

/** QEMU processes started by kittest runs whose private folder lives under `tmp` (pid and command line). */
export async function qemusUnder(tmp: string): Promise<string[]> {
  const r = await execa('pgrep', ['-af', `qemu-system.*${tmp}/kittest-`], { reject: false });
  return String(r.stdout).split('\n').filter(Boolean);
}
