import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import test from 'ava';
import { posixCksum } from '../../src/console/cksum.ts';
import { decodeFrame, frameCommand } from '../../src/console/framing.ts';

const samples = ['', 'a', '123456789', 'héllo ☃\n\ttabs\n', 'x'.repeat(65_537), Buffer.from([0, 1, 2, 255, 254, 10, 13]).toString('latin1')];
for (const [i, s] of samples.entries()) {
  test(`posixCksum agrees with the host's cksum (sample ${i})`, (t) => {
    const bytes = Buffer.from(s, 'latin1');
    const host = execFileSync('cksum', { input: bytes }).toString().trim().split(/\s+/);
    t.is(posixCksum(bytes), Number(host[0]));
    t.is(bytes.length, Number(host[1]));
  });
}

test('posixCksum has the known check value for "123456789"', (t) => {
  t.is(posixCksum(Buffer.from('123456789')), 930766865);
});

function frameOf(output: string): { body: string; crc: string; md5: string; length: string } {
  const bytes = Buffer.from(output);
  return {
    body: `${bytes.toString('base64').replace(/.{76}/g, '$&\n')}\n`,
    crc: String(posixCksum(bytes)),
    md5: createHash('md5').update(bytes).digest('hex'),
    length: String(bytes.length),
  };
}

test('decodeFrame removes kernel messages that start mid-line and other noise', (t) => {
  const { body, crc, length } = frameOf('hello ☃ world\n'.repeat(20));
  // Kernel messages mid-line, and an answer to ESC[6n echoed by the tty (^[[1;1R).
  const noisy = `${body.slice(0, 30)}[   12.345678] virtio_net virtio0: eth0 up\n${body.slice(30, 90)}\r\n[    1.0] x\n${body.slice(90, 120)}^[[24;80R${body.slice(120)}`;
  const r = decodeFrame(noisy, { sum: crc, length });
  t.true(r.ok);
  if (r.ok) t.is(r.bytes.toString(), 'hello ☃ world\n'.repeat(20));
});

test('decodeFrame reports a corrupted body', (t) => {
  const { body, crc, md5, length } = frameOf('some output that is long enough');
  const bad = `${body.slice(0, 5)}${body[5] === 'A' ? 'B' : 'A'}${body.slice(6)}`;
  const r = decodeFrame(bad, { sum: crc, length });
  t.false(r.ok);
  if (!r.ok) t.regex(r.reason, /cksum mismatch/);
  const m = decodeFrame(bad, { sum: md5, length });
  t.false(m.ok);
  if (!m.ok) t.regex(m.reason, /md5 mismatch/);
  const short = decodeFrame(body.slice(0, 8), { sum: md5, length });
  t.false(short.ok);
});

test('frameCommand: the typed line never contains the markers it waits for', (t) => {
  const f = frameCommand('echo hi', 'abc123', { maxLineBytes: 1000 });
  t.deepEqual(f.setup, []);
  t.false(f.line.includes(f.begin));
  t.false(f.end.test(f.line));
  t.true(f.line.includes(`'${Buffer.from('echo hi').toString('base64')}'`));
});

test('frameCommand: the via wrapper wraps the inner shell', (t) => {
  const f = frameCommand('id', 'n1', { maxLineBytes: 1000, via: (c) => `nsenter -t 1 -m -n -p -- ${c}` });
  t.regex(f.line, /nsenter -t 1 -m -n -p -- sh -c "\$\(printf %s '[^']+' \| base64 -d\)"/);
});

test('frameCommand: a long script is typed in acknowledged pieces, every line under the limit', (t) => {
  const f = frameCommand('echo x\n'.repeat(500), 'n2', { maxLineBytes: 1000 });
  t.true(f.setup.length > 1);
  for (const l of [...f.setup.map((p) => p.line), f.line]) t.true(Buffer.byteLength(l) + 1 <= 1000);
  t.is(f.setup[1]?.ack, 'n2_c1\n');
  t.throws(() => frameCommand('x', 'n3', { maxLineBytes: 200, via: (c) => `${'y'.repeat(300)} ${c}` }), { instanceOf: RangeError });
});

test('the framing really works in a POSIX shell, exit status and trailing newlines included', (t) => {
  const script = `printf 'out ☃\\n\\n'; echo err >&2; exit 3`;
  const f = frameCommand(script, 'n4', { maxLineBytes: 1000 });
  const text = execFileSync('/bin/sh', ['-c', f.line]).toString();
  const end = f.end.exec(text);
  t.truthy(end);
  if (!end) return;
  t.is(end[1], '3');
  const body = text.slice(text.indexOf(f.begin) + f.begin.length, end.index);
  t.regex(end[2] ?? '', /^[0-9a-f]{32}$/);
  const r = decodeFrame(body, { sum: end[2] ?? 'none', length: end[3] ?? 'none' });
  t.true(r.ok);
  if (r.ok) t.is(r.bytes.toString(), 'out ☃\n\nerr\n');
});
