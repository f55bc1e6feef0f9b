// Facts read from the guest once the cases are done: memory footprint and service start times.
import { parseKeyValues } from './guest-output.ts';

export const hostFactsScript = `echo "uptime=$(cut -d' ' -f1 /proc/uptime)"
sed -n 's/^MemTotal:[[:space:]]*\\([0-9]*\\).*/mem_total=\\1/p; s/^MemAvailable:[[:space:]]*\\([0-9]*\\).*/mem_available=\\1/p' /proc/meminfo
for p in /proc/[0-9]*; do c=$(cat "$p/comm" 2>/dev/null) || continue
case "$c" in containerd|rngd|dhcpcd|udhcpc|dhclient|runc|containerd-shim*) echo "rss=$c $(sed -n 's/^VmRSS:[[:space:]]*\\([0-9]*\\).*/\\1/p' "$p/status") $(cut -d' ' -f22 "$p/stat")";; esac; done
echo "clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)"`;

export interface HostFacts {
  usedKiB?: number;
  rssKiB: Record<string, number>;
  /** Seconds after kernel start at which each service process started. */
  startedAtS: Record<string, number>;
  uptimeS?: number;
}

/** Parse hostFactsScript output (untrusted: numbers only). */
export function parseHostFacts(output: string): HostFacts {
  const kv = parseKeyValues(output);
  const num = (key: string) => {
    const v = Number(kv.get(key)?.[0]);
    return Number.isFinite(v) ? v : undefined;
  };
  const total = num('mem_total');
  const available = num('mem_available');
  const tck = num('clk_tck') || 100;
  const facts: HostFacts = { rssKiB: {}, startedAtS: {}, uptimeS: num('uptime') };
  if (total !== undefined && available !== undefined) facts.usedKiB = total - available;
  for (const entry of kv.get('rss') ?? []) {
    const [name, rss, start] = entry.split(' ');
    if (!name || !/^\d+$/.test(rss ?? '')) continue;
    facts.rssKiB[name] = (facts.rssKiB[name] ?? 0) + Number(rss);
    if (/^\d+$/.test(start ?? '') && facts.startedAtS[name] === undefined) facts.startedAtS[name] = Number(start) / tck;
  }
  return facts;
}
