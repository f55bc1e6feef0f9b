// Find the QEMUs of kittest runs by their private run folder, which is in QEMU's command line: a
// QEMU left behind by a kittest that has exited has another parent (init), but still its folder.
import { execa } from 'execa';

/** Command lines of the QEMU processes started by kittest runs whose run folder (TMPDIR/kittest-*) lives under `tmp`. */
export async function qemusUnder(tmp: string): Promise<string[]> {
  const r = await execa('pgrep', ['-af', `qemu-system.*${tmp}/kittest-`], { reject: false });
  return String(r.stdout).split('\n').filter(Boolean);
}
