// The guest cannot reach services on the host: QEMU's user network runs with restrict=on.
import test from 'ava';
import { createServer } from 'node:net';
import { ConsoleEngine } from '../../src/console/engine.ts';
import { Shell } from '../../src/console/shell.ts';
import { detectBootFiles } from '../../src/images/boot-files.ts';
import { buildArgv } from '../../src/qemu/argv.ts';
import { Machine, makeRunDir } from '../../src/qemu/machine.ts';
import { referenceImage } from '../helpers/images.ts';
import { targetWith } from '../helpers/run.ts';

test('a guest with a DHCP lease cannot open a TCP connection to the host', async (t) => {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.end('hello from the host\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const target = targetWith('x86_64');
  const image = detectBootFiles(await referenceImage('x86_64'));
  const runDir = makeRunDir('net-test');
  let machine: Machine | undefined;
  const engine = new ConsoleEngine({ write: (d) => machine?.write(d) });
  machine = Machine.start(buildArgv(target, image, { accel: 'tcg', mac: '52:54:00:00:00:01', runDir }), runDir, (c) => engine.push(c), target.qemu.package);
  void machine.exited.then(() => engine.end('QEMU exited'));
  try {
    const shell = new Shell(engine);
    await shell.findShell({ timeoutMs: target.timeouts.bootMs });
    const host = (s: string) => shell.run(s, { timeoutMs: 60_000, via: (inner) => `nsenter -t 1 -m -n -p -- ${inner}` });
    await shell.waitUntilSucceeds("ip -4 addr show dev eth0 | grep -q 'inet 10.0.2.15/'", { timeoutMs: 60_000, via: (inner) => `nsenter -t 1 -m -n -p -- ${inner}` });
    // 10.0.2.2 is the host as seen from a user network guest; with restrict=on nothing gets through:
    // libslirp answers the SYN with a reset, so nc reports "Connection refused" and exits 1.
    // A missing nc or timeout (exit 127) or any other failure is not that refusal and fails the test.
    const r = await host(`for c in nc timeout; do command -v $c >/dev/null || echo "missing_$c"; done; timeout 10 nc 10.0.2.2 ${port} </dev/null; echo "nc_status=$?"`);
    t.log(r.output.trim());
    t.notRegex(r.output, /missing_/);
    t.regex(r.output, /nc_status=1\s*$/);
    t.regex(r.output, /Connection refused/);
    t.notRegex(r.output, /hello from the host/);
    t.is(connections, 0);
  } finally {
    await machine.stop();
    server.close();
  }
});
