// Facts read from the guest once the cases are done: memory footprint and service start times.
import { parseKeyValues } from '../console/guest-output.ts';

// Read with the `read` builtin, not a fork per process: the loop visits every process of the guest.
export const systemFactsScript = `read -r u _ < /proc/uptime; echo "uptime=$u"
while read -r k v _; do case "$k" in MemTotal:) echo "mem_total=$v";; MemAvailable:) echo "mem_available=$v";; esac; done < /proc/meminfo
for p in /proc/[0-9]*; do c=; read -r c 2>/dev/null < "$p/comm" || continue
case "$c" in containerd|rngd|dhcpcd|udhcpc|dhclient|runc|containerd-shim*) ;; *) continue;; esac
r=; while read -r k v _; do [ "$k" = VmRSS: ] && { r=$v; break; }; done 2>/dev/null < "$p/status"
s=; read -r s 2>/dev/null < "$p/stat"; s=\${s##*) }; set -- $s; echo "rss=$c $r \${20}"; done
echo "clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)"`;

export interface SystemFacts {
  usedKiB?: number;
  rssKiB: Record<string, number>;
  /** Seconds after kernel start at which each service process started. */
  startedAtS: Record<string, number>;
  uptimeS?: number;
}

/** Parse systemFactsScript output (untrusted: numbers only). */
export function parseSystemFacts(output: string): SystemFacts {
  const kv = parseKeyValues(output);
  const num = (key: string) => {
    const v = Number(kv.get(key)?.[0]);
    return Number.isFinite(v) ? v : undefined;
  };
  const total = num('mem_total');
  const available = num('mem_available');
  const tck = num('clk_tck') || 100;
  const facts: SystemFacts = { rssKiB: {}, startedAtS: {}, uptimeS: num('uptime') };
  if (total !== undefined && available !== undefined) facts.usedKiB = total - available;
  for (const entry of kv.get('rss') ?? []) {
    const [name, rss, start] = entry.split(' ');
    if (!name || !/^\d+$/.test(rss ?? '')) continue;
    facts.rssKiB[name] = (facts.rssKiB[name] ?? 0) + Number(rss);
    if (/^\d+$/.test(start ?? '') && facts.startedAtS[name] === undefined) facts.startedAtS[name] = Number(start) / tck;
  }
  return facts;
}
