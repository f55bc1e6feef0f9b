// rng: virtio-rng bound as the kernel's hwrng, the kernel RNG initialised, an RNG service running.
import { type Check, fail, pass, settle } from '../check.ts';
import { first, parseKeyValues, parseProcesses, processScan, timeoutHelper } from '../guest-output.ts';

function script(names: readonly string[]): string {
  return `${timeoutHelper}
d=/sys/class/misc/hw_random
echo "rng_current=$(cat $d/rng_current 2>&1)"
echo "rng_available=$(cat $d/rng_available 2>&1)"
dmesg 2>/dev/null | grep -q 'crng init done' && echo crng=dmesg
t 5 dd if=/dev/random of=/dev/null bs=16 count=1 2>/dev/null </dev/null && echo crng=random-does-not-block
${processScan('service', names)}`;
}

/** Pure judgement of the rng script's output. */
export function judgeRng(output: string, hwrng: RegExp, names: readonly string[]): { passed: boolean; message: string } {
  const kv = parseKeyValues(output);
  const current = first(kv, 'rng_current') ?? '';
  if (!hwrng.test(current)) {
    const available = first(kv, 'rng_available') ?? '';
    return { passed: false, message: `hw_random/rng_current is "${current.trim() || 'none'}", not ${hwrng.source} (available: ${available.trim() || 'none'})` };
  }
  if (!kv.get('crng')?.length) return { passed: false, message: 'the kernel RNG is not initialised: /dev/random still blocks and dmesg has no "crng init done"' };
  const services = parseProcesses(kv.get('service'));
  if (services.length === 0) return { passed: false, message: `no RNG service is running (looked for processes named ${names.join(', ')})` };
  return { passed: true, message: `hwrng ${current.trim()}, kernel RNG initialised, ${services.map((s) => `${s.comm} (pid ${s.pid})`).join(', ')} running` };
}

export const rngCheck: Check = (context) => {
  const names = context.settings.processNames ?? ['rngd'];
  const hwrng = new RegExp(context.settings.hwrng ?? 'virtio_rng');
  return settle(context, async () => {
    const { output } = await context.host.run(script(names));
    const verdict = judgeRng(output, hwrng, names);
    return verdict.passed ? pass(verdict.message, output) : fail(verdict.message, output);
  });
};
