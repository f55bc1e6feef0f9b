// boot: the kernel reaches userspace and a shell answers on the console within the target's boot
// timeout. The runner judges it while it boots the machine (it is how every other case gets a shell),
// so the module has no judge of its own; declaring it here makes it an ordinary case file all the same.
import { defineCheck } from '../check.ts';

export const bootCheck = defineCheck<Record<string, never>>({
  name: 'boot',
  summary: "a shell answers a nonce on the serial console within the target's boot timeout; a panic fails at once",
  settings: {},
});
