// rootfs-immutable: / mounted read-only and writes to /, /etc, /usr failing with EROFS.
import { defineCheck, fail, pass } from '../check.ts';
import { parseKeyValues } from '../../console/guest-output.ts';
import { shellQuote } from '../../util/shell-quote.ts';

function script(paths: readonly string[], token: string): string {
  return `while read -r dev mp fs opts rest; do
  [ "$mp" = / ] && echo "root=$fs $opts"
  case ",$opts," in *,rw,*) echo "rw_mount=$mp $fs";; esac
done < /proc/mounts
for d in ${paths.map(shellQuote).join(' ')}; do
  if [ ! -d "$d" ]; then echo "write=$d absent"; continue; fi
  f="\${d%/}/.kittest-${token}"
  if e=$(touch "$f" 2>&1 </dev/null); then rm -f "$f"; echo "write=$d succeeded"; else echo "write=$d failed $e"; fi
done`;
}

/** Pure judgement of the rootfs script's output. */
export function judgeRootfs(output: string): { passed: boolean; message: string; writableMounts: string[] } {
  const kv = parseKeyValues(output);
  const writableMounts = kv.get('rw_mount') ?? [];
  const roots = kv.get('root') ?? [];
  // The last "/" entry in /proc/mounts is the one on top, the one processes see.
  const root = roots[roots.length - 1];
  const listed = `writable mounts: ${writableMounts.join(', ') || 'none'}`;
  if (!root) return { passed: false, message: `no / entry in /proc/mounts; ${listed}`, writableMounts };
  const [fs, opts = ''] = root.split(' ');
  if (!opts.split(',').includes('ro')) {
    return { passed: false, message: `/ (${fs}) is mounted read-write (${opts}); ${listed}`, writableMounts };
  }
  for (const write of kv.get('write') ?? []) {
    const [dir, outcome, ...rest] = write.split(' ');
    const detail = rest.join(' ');
    if (outcome === 'succeeded') return { passed: false, message: `creating a file in ${dir} succeeded; ${listed}`, writableMounts };
    if (outcome === 'failed' && !/Read-only file system/i.test(detail)) {
      return { passed: false, message: `writing in ${dir} failed, but not with EROFS: ${detail.slice(0, 200)}`, writableMounts };
    }
  }
  return { passed: true, message: `/ (${fs}) is read-only and writes fail with EROFS; ${listed}`, writableMounts };
}

export const rootfsImmutableCheck = defineCheck<{ readonly paths: readonly string[] }>({
  name: 'rootfs-immutable',
  summary: '/ is mounted read-only and writes fail with EROFS',
  settings: {
    paths: { type: 'array', items: { type: 'string', pattern: '^/' }, minItems: 1, default: ['/', '/etc', '/usr'], description: 'Directories where creating a file must fail with EROFS.' },
  },
  check: async (context) => {
    const { output } = await context.system.run(script(context.settings.paths, context.nonce()), { timeoutMs: context.timeoutMs });
    const verdict = judgeRootfs(output);
    return verdict.passed ? pass(verdict.message, output) : fail(verdict.message, output);
  },
});
