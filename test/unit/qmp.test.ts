import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MachineError } from '../../src/errors.ts';
import { isPanicEvent, QmpClient, QmpCommandError, type QmpEvent } from '../../src/qemu/qmp.ts';

// A fake QEMU monitor: greets like QEMU 7.2 (CRLF line ends), answers qmp_capabilities and
// query-status, and lets each test take over any other command.
type Command = { execute: string; id?: unknown; arguments?: Record<string, unknown> };
type Handler = (cmd: Command, conn: Socket) => boolean | void;

interface Fake {
  readonly path: string;
  readonly received: Command[];
  readonly conns: Socket[];
  send(conn: Socket, obj: unknown): void;
  listen(): Promise<void>;
  stop(): Promise<void>;
}

const GREETING = { QMP: { version: { qemu: { micro: 22, minor: 2, major: 7 }, package: 'Debian 1:7.2+dfsg-7' }, capabilities: ['oob'] } };

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kittest-qmp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function fakeQmp(t: { teardown(fn: () => void): void }, handler: Handler = () => false, options: { greet?: boolean } = {}): Fake {
  const path = join(tempDir(t), 'qmp.sock');
  const received: Command[] = [];
  const conns: Socket[] = [];
  const send = (conn: Socket, obj: unknown) => conn.write(`${JSON.stringify(obj)}\r\n`);
  let server: Server | undefined;
  const fake: Fake = {
    path,
    received,
    conns,
    send,
    listen: () =>
      new Promise((resolve) => {
        server = createServer((conn) => {
          conns.push(conn);
          conn.on('error', () => {});
          if (options.greet !== false) send(conn, GREETING);
          let buf = '';
          conn.on('data', (chunk) => {
            buf += chunk.toString('utf8');
            let nl: number;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const cmd = JSON.parse(buf.slice(0, nl)) as Command;
              buf = buf.slice(nl + 1);
              received.push(cmd);
              if (handler(cmd, conn)) continue;
              if (cmd.execute === 'qmp_capabilities') send(conn, { return: {}, id: cmd.id });
              else if (cmd.execute === 'query-status') send(conn, { return: { status: 'running', singlestep: false, running: true }, id: cmd.id });
              else send(conn, { error: { class: 'CommandNotFound', desc: `The command ${cmd.execute} has not been found` }, id: cmd.id });
            }
          });
        });
        server.listen(path, () => resolve());
      }),
    stop: () =>
      new Promise((resolve) => {
        for (const c of conns) c.destroy();
        if (server) server.close(() => resolve());
        else resolve();
      }),
  };
  t.teardown(() => fake.stop());
  return fake;
}

async function connected(t: { teardown(fn: () => void): void }, handler?: Handler, options: { maxLineLength?: number; maxEvents?: number } = {}) {
  const fake = fakeQmp(t, handler);
  await fake.listen();
  const client = await QmpClient.connect(fake.path, { timeoutMs: 2000, ...options });
  t.teardown(() => void client.close());
  const conn = fake.conns[0]!;
  return { fake, client, conn };
}

const event = (name: string, data?: Record<string, unknown>) => ({ event: name, ...(data ? { data } : {}), timestamp: { seconds: 1700000000, microseconds: 123456 } });
const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

test('connecting reads the greeting and negotiates capabilities before anything else is sent', async (t) => {
  const { fake, client } = await connected(t);
  t.deepEqual(client.greeting, { version: { qemu: { major: 7, minor: 2, micro: 22 }, package: 'Debian 1:7.2+dfsg-7' }, capabilities: ['oob'] });
  t.is(fake.received.length, 1);
  t.is(fake.received[0]!.execute, 'qmp_capabilities');
  t.is(typeof fake.received[0]!.id, 'number');
  t.true(client.isOpen);
});

test('a command resolves with its return value and query-status reports the run state', async (t) => {
  const { client } = await connected(t, (cmd, conn) => {
    if (cmd.execute !== 'query-name') return false;
    conn.write(`${JSON.stringify({ return: { name: 'vm0' }, id: cmd.id })}\r\n`);
    return true;
  });
  t.deepEqual(await client.execute('query-name'), { name: 'vm0' });
  t.deepEqual(await client.queryStatus(), { status: 'running', running: true });
});

test('a command is sent with its arguments and replies are matched by id even out of order', async (t) => {
  const held: Command[] = [];
  const { fake, client } = await connected(t, (cmd, conn) => {
    if (cmd.execute !== 'echo') return false;
    held.push(cmd);
    if (held.length === 2) {
      for (const c of [...held].reverse()) conn.write(`${JSON.stringify({ return: c.arguments, id: c.id })}\r\n`);
    }
    return true;
  });
  const [a, b] = await Promise.all([client.execute('echo', { n: 1 }), client.execute('echo', { n: 2 })]);
  t.deepEqual(a, { n: 1 });
  t.deepEqual(b, { n: 2 });
  t.deepEqual(fake.received.slice(1).map((c) => c.arguments), [{ n: 1 }, { n: 2 }]);
  t.not(held[0]!.id, held[1]!.id);
});

test("a command QEMU refuses rejects with QMP's error description and class", async (t) => {
  const { client } = await connected(t);
  const err = await t.throwsAsync(client.execute('no-such-command'), { instanceOf: QmpCommandError });
  t.is(err?.desc, 'The command no-such-command has not been found');
  t.is(err?.qmpClass, 'CommandNotFound');
  t.regex(err?.message ?? '', /no-such-command failed: The command no-such-command has not been found/);
  t.true(client.isOpen, 'a refused command does not end the connection');
});

test('a command with no reply rejects after its timeout and its late reply is ignored', async (t) => {
  let late: Command | undefined;
  const { client, conn } = await connected(t, (cmd) => {
    if (cmd.execute !== 'slow') return false;
    late = cmd;
    return true;
  });
  const err = await t.throwsAsync(client.execute('slow', undefined, { timeoutMs: 50 }), { instanceOf: MachineError });
  t.regex(err?.message ?? '', /slow .*no reply within 50 ms/);
  conn.write(`${JSON.stringify({ return: {}, id: late?.id })}\r\n`);
  t.deepEqual(await client.queryStatus(), { status: 'running', running: true });
});

test('events reach listeners and are kept, including a guest panic', async (t) => {
  const { client, conn } = await connected(t);
  const heard: QmpEvent[] = [];
  const stop = client.onEvent((e) => heard.push(e));
  conn.write(`${JSON.stringify(event('RESUME'))}\r\n`);
  conn.write(`${JSON.stringify(event('GUEST_PANICKED', { action: 'pause' }))}\r\n`);
  const panic = await client.waitForEvent(isPanicEvent, { timeoutMs: 1000 });
  t.is(panic.event, 'GUEST_PANICKED');
  t.is(panic.data.action, 'pause');
  t.deepEqual(panic.timestamp, { seconds: 1700000000, microseconds: 123456 });
  t.deepEqual(heard.map((e) => e.event), ['RESUME', 'GUEST_PANICKED']);
  t.deepEqual(client.events.map((e) => e.event), ['RESUME', 'GUEST_PANICKED']);
  t.deepEqual(client.events[0]!.data, {}, 'an event without data gets an empty object');
  stop();
  conn.write(`${JSON.stringify(event('STOP'))}\r\n`);
  await client.waitForEvent('STOP', { timeoutMs: 1000 });
  t.is(heard.length, 2, 'an unsubscribed listener hears nothing more');
  t.is(client.events.length, 3);
});

test('an s390 disabled wait arrives as GUEST_PANICKED with its reason and counts as a panic', async (t) => {
  const { client, conn } = await connected(t);
  const info = { type: 's390', core: 0, 'psw-mask': 562956395872256, 'psw-addr': 1234, reason: 'disabled-wait' };
  conn.write(`${JSON.stringify(event('GUEST_PANICKED', { action: 'pause', info }))}\r\n`);
  const e = await client.waitForEvent('GUEST_PANICKED', { timeoutMs: 1000 });
  t.true(isPanicEvent(e));
  if (isPanicEvent(e)) t.is(e.data.info?.reason, 'disabled-wait');
});

test('GUEST_CRASHLOADED counts as a panic and ordinary lifecycle events do not', (t) => {
  const ts = { seconds: 0, microseconds: 0 };
  t.true(isPanicEvent({ event: 'GUEST_CRASHLOADED', data: { action: 'run' }, timestamp: ts }));
  t.true(isPanicEvent({ event: 'GUEST_PANICKED', data: { action: 'poweroff' }, timestamp: ts }));
  for (const name of ['SHUTDOWN', 'RESET', 'STOP', 'RESUME', 'POWERDOWN']) t.false(isPanicEvent({ event: name, data: {}, timestamp: ts }), name);
});

test('the kept event list is bounded and keeps the newest', async (t) => {
  const { client, conn } = await connected(t, undefined, { maxEvents: 5 });
  conn.write(Array.from({ length: 12 }, (_, i) => `${JSON.stringify(event('E', { i }))}\r\n`).join(''));
  await client.waitForEvent((e) => e.data.i === 11, { timeoutMs: 1000 });
  t.deepEqual(client.events.map((e) => e.data.i), [7, 8, 9, 10, 11]);
  t.is(client.eventsDropped, 7);
});

test('a listener that throws does not break the connection or other listeners', async (t) => {
  const { client, conn } = await connected(t);
  client.onEvent(() => {
    throw new Error('listener bug');
  });
  let heard = 0;
  client.onEvent(() => heard++);
  conn.write(`${JSON.stringify(event('STOP'))}\r\n`);
  await client.waitForEvent('STOP', { timeoutMs: 1000 });
  t.is(heard, 1);
  t.deepEqual(await client.queryStatus(), { status: 'running', running: true });
});

test('messages split at any byte, with CRLF line ends, are reassembled', async (t) => {
  const { client, conn } = await connected(t, (cmd, c) => {
    if (cmd.execute !== 'drip') return false;
    const text = `${JSON.stringify(event('NÄME', { s: 'ü€' }))}\r\n${JSON.stringify({ return: 'ok', id: cmd.id })}\r\n`;
    const bytes = Buffer.from(text, 'utf8');
    void (async () => {
      for (let i = 0; i < bytes.length; i += 3) {
        c.write(bytes.subarray(i, i + 3));
        await tick(1);
      }
    })();
    return true;
  });
  void conn;
  t.is(await client.execute('drip'), 'ok');
  t.deepEqual(client.events[0]?.data, { s: 'ü€' });
  t.is(client.malformedLines, 0);
});

test('malformed and over-long lines are counted and dropped without breaking the connection', async (t) => {
  const { client, conn } = await connected(t, undefined, { maxLineLength: 1024 });
  conn.write('this is not json\r\n');
  conn.write('[1,2,3]\r\n');
  conn.write('"a string"\r\n');
  conn.write('{"neither": "event nor reply"}\r\n');
  conn.write('{"event": "TRUNC\r\n');
  conn.write(`${'x'.repeat(5000)}\r\n`); // over-long in one piece
  for (let i = 0; i < 20; i++) conn.write('y'.repeat(500)); // over-long, arriving in pieces
  conn.write(`\r\n${JSON.stringify(event('AFTER'))}\r\n`);
  await client.waitForEvent('AFTER', { timeoutMs: 1000 });
  t.is(client.malformedLines, 7);
  t.deepEqual(client.events.map((e) => e.event), ['AFTER']);
  t.deepEqual(await client.queryStatus(), { status: 'running', running: true });
});

test('connecting waits for a socket that appears late', async (t) => {
  const fake = fakeQmp(t);
  setTimeout(() => void fake.listen(), 300);
  const started = Date.now();
  const client = await QmpClient.connect(fake.path, { timeoutMs: 3000 });
  t.teardown(() => void client.close());
  t.true(Date.now() - started >= 250);
  t.is(client.greeting?.version.qemu.major, 7);
});

test('a connect timeout names the socket path and says the socket never appeared', async (t) => {
  const path = join(tempDir(t), 'never.sock');
  const err = await t.throwsAsync(QmpClient.connect(path, { timeoutMs: 200 }), { instanceOf: MachineError });
  t.true(err?.message.includes(path));
  t.regex(err?.message ?? '', /could not connect within 200 ms .*ENOENT/);
  t.true(err?.infrastructure);
});

test('a connect to a monitor that never greets times out naming the path', async (t) => {
  const fake = fakeQmp(t, undefined, { greet: false });
  await fake.listen();
  const err = await t.throwsAsync(QmpClient.connect(fake.path, { timeoutMs: 200 }), { instanceOf: MachineError });
  t.true(err?.message.includes(fake.path));
  t.regex(err?.message ?? '', /no QMP greeting within 200 ms/);
});

test('an aborted connect gives up at once', async (t) => {
  const path = join(tempDir(t), 'never.sock');
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('QEMU exited with code 1')), 50);
  const started = Date.now();
  const err = await t.throwsAsync(QmpClient.connect(path, { timeoutMs: 5000, signal: controller.signal }));
  t.regex(err?.message ?? '', /abandoned \(QEMU exited with code 1\)/);
  t.true(Date.now() - started < 1000);
});

test('the server closing rejects pending commands, resolves closed, and later commands reject at once', async (t) => {
  const { client } = await connected(t, (cmd, conn) => {
    if (cmd.execute !== 'hang') return false;
    setTimeout(() => conn.end(), 20);
    return true;
  });
  const err = await t.throwsAsync(client.execute('hang'), { instanceOf: MachineError });
  t.regex(err?.message ?? '', /hang .*closed by QEMU before the reply/);
  await client.closed;
  t.false(client.isOpen);
  t.is(client.closeReason, 'closed by QEMU');
  await t.throwsAsync(client.queryStatus(), { message: /connection already closed/ });
  await t.throwsAsync(client.waitForEvent('SHUTDOWN', { timeoutMs: 1000 }), { message: /closed/ });
});

test('closing the client rejects pending commands', async (t) => {
  const { client } = await connected(t, (cmd) => cmd.execute === 'hang');
  const pending = client.execute('hang');
  await tick();
  await client.close();
  await t.throwsAsync(pending, { message: /closed by kittest/ });
});

test('quit resolves when the server closes the socket without replying', async (t) => {
  const { fake, client } = await connected(t, (cmd, conn) => {
    if (cmd.execute !== 'quit') return false;
    conn.destroy();
    return true;
  });
  await client.quit({ timeoutMs: 2000 });
  await client.closed;
  t.is(fake.received.at(-1)?.execute, 'quit');
});

test('quit resolves when QEMU acknowledges it, then sees SHUTDOWN and the close', async (t) => {
  const { client } = await connected(t, (cmd, conn) => {
    if (cmd.execute !== 'quit') return false;
    conn.write(`${JSON.stringify({ return: {}, id: cmd.id })}\r\n`);
    conn.write(`${JSON.stringify(event('SHUTDOWN', { guest: false, reason: 'host-qmp-quit' }))}\r\n`);
    setTimeout(() => conn.end(), 10);
    return true;
  });
  await client.quit();
  await client.closed;
  t.is(client.events.at(-1)?.event, 'SHUTDOWN');
  await client.quit(); // a second quit after the close is a no-op
});
