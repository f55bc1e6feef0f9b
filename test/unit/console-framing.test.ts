import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import test from 'ava';
import { posixCksum } from '../../src/console/cksum.ts';
import { decodeFrame, encodeScript, frameCommand, gappedMarker, gzipMinSavingChars } from '../../src/console/framing.ts';

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

test('encodeScript: gzip only where allowed and where it saves enough typing; the bytes depend on the script alone', (t) => {
  const long = Array.from({ length: 200 }, (_, i) => `echo "line ${i}"`).join('\n');
  t.deepEqual(encodeScript(long, false), { b64: Buffer.from(long).toString('base64'), gzipped: false });
  const packed = encodeScript(long, true);
  t.true(packed.gzipped);
  t.is(gunzipSync(Buffer.from(packed.b64, 'base64')).toString(), long);
  t.true(packed.b64.length + gzipMinSavingChars <= Buffer.from(long).toString('base64').length);
  t.deepEqual(encodeScript(long, true), packed);
  t.false(encodeScript('echo hi', true).gzipped);
  // Text that gzip shrinks too little (random base64: some 200 characters saved) is typed plain.
  const random = randomBytes(600).toString('base64');
  t.true(Buffer.from(random).toString('base64').length > gzipMinSavingChars);
  t.false(encodeScript(random, true).gzipped);
});

test('frameCommand gzipped: unpacked in the console shell, run through the via wrapper; a failed unpack prints a marker never typed whole', (t) => {
  const long = Array.from({ length: 200 }, (_, i) => `echo "line ${i}"`).join('\n');
  const f = frameCommand(long, 'n6', { maxLineBytes: 1000, gzip: true, via: (c) => `nsenter -t 1 -- ${c}` });
  t.is(f.undecoded, 'n6_undecoded');
  t.regex(f.line, /if __kt_x=\$\(printf %s (?:'[^']+'|"\$__kt_s") \| base64 -d \| gzip -dc\); then nsenter -t 1 -- sh -c "\$__kt_x"; else printf '%s_%s' n6 undecoded; fi/);
  for (const l of [...f.setup.map((p) => p.line), f.line]) t.false(l.includes('n6_undecoded'));
  t.is(frameCommand(long, 'n7', { maxLineBytes: 1000 }).undecoded, undefined);
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

// ---- Foreign text from other writers on the console ----

const COLOURED = (n: number): string => `\x1b[33mchatty[${n}]: tick \x1b[1;32mOK\x1b[0m\r\n`;
const PIECE = (n: number): string => `chatty-${n} `;

/** Insert texts into a body at offsets of the original body (several at one offset keep their order). */
function insert(body: string, at: readonly (readonly [number, string])[]): string {
  let out = body;
  for (const [pos, text] of [...at].sort((a, b) => b[0] - a[0])) out = out.slice(0, pos) + text + out.slice(pos);
  return out;
}

/** Offset in a frameOf body of column `col` of base64 line `line` (77 characters per line with its newline). */
const lineAt = (line: number, col = 0): number => line * 77 + col;

// A seeded, repeatable random sequence (xorshift32).
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const text = (lines: number): string => Array.from({ length: lines }, (_, i) => `line ${i}: the quick brown fox ☃ jumps\n`).join('');

test('decodeFrame drops whole foreign lines between base64 lines, coloured or not', (t) => {
  const output = text(30);
  const { body, md5, crc, length } = frameOf(output);
  const noisy = insert(body, [
    [0, COLOURED(1)],
    [lineAt(2), COLOURED(2)],
    [lineAt(5), 'chattytick42\n'],
    [lineAt(5), '\n\r\n'],
    [lineAt(9), `${PIECE(3)}\r\n`],
    [body.length, COLOURED(4)],
  ]);
  for (const sum of [md5, crc]) {
    const r = decodeFrame(noisy, { sum, length });
    t.true(r.ok, r.ok ? '' : r.reason);
    if (r.ok) t.is(r.bytes.toString(), output);
  }
});

test('decodeFrame recovers base64 lines with foreign text inserted mid-line, with or without its own newline', (t) => {
  const output = text(40);
  const { body, md5, crc, length } = frameOf(output);
  const lines = Math.ceil((body.length - 1) / 77);
  const noisy = insert(body, [
    [lineAt(1, 30), COLOURED(1)],
    [lineAt(3, 50), PIECE(2)],
    [lineAt(6, 1), `\x1b[31m${PIECE(3)}\x1b[0m`],
    [lineAt(8, 75), COLOURED(4)],
    [lineAt(10, 76), COLOURED(5)],
    [lineAt(12), PIECE(6)],
    [lineAt(14, 40), 'chatty: tick 7\n\n'],
    [lineAt(lines - 1, 3), COLOURED(8)],
  ]);
  for (const sum of [md5, crc]) {
    const r = decodeFrame(noisy, { sum, length });
    t.true(r.ok, r.ok ? '' : r.reason);
    if (r.ok) t.is(r.bytes.toString(), output);
  }
});

test('decodeFrame tells foreign text made of base64 characters only from the output by its md5', (t) => {
  const output = text(20);
  const { body, md5, length } = frameOf(output);
  const noisy = insert(body, [
    [lineAt(1, 20), 'chattytick42\n'],
    [lineAt(3, 33), 'chattytick43'],
    [lineAt(5), 'chattytick44\n'],
    [lineAt(7), `${'QUJD'.repeat(19)}\n`],
    [lineAt(9, 60), 'chattytick45\r\n'],
  ]);
  const r = decodeFrame(noisy, { sum: md5, length });
  t.true(r.ok, r.ok ? '' : r.reason);
  if (r.ok) t.is(r.bytes.toString(), output);
});

test('decodeFrame recovers many insertions in several KB, text or binary', (t) => {
  const rand = random(7);
  const kinds = [COLOURED, PIECE, (n: number) => `chattytick${n}\n`, (n: number) => `\x1b[2K\rprogress ${n}%`];
  const cases = [
    { output: Buffer.from(text(300)), insertions: 60, kinds: [0, 1, 2, 3] },
    // Binary output gives no hint of where a piece without newline ends: a few such, many whole lines.
    { output: Buffer.from(Array.from({ length: 6000 }, () => Math.floor(rand() * 256))), insertions: 40, kinds: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1] },
  ];
  for (const c of cases) {
    const body = `${c.output.toString('base64').replace(/.{76}/g, '$&\n')}\n`;
    const lines = Math.ceil((body.length - 1) / 77);
    const used = new Set<number>();
    const at: [number, string][] = [];
    let pieces = 0;
    for (let n = 0; n < c.insertions; n++) {
      const line = Math.floor(rand() * lines);
      if (used.has(line)) continue;
      used.add(line);
      let kind = c.kinds[Math.floor(rand() * c.kinds.length)] ?? 0;
      if (kind === 1 && c.kinds.length > 4 && pieces++ >= 2) kind = 0;
      at.push([lineAt(line, Math.floor(rand() * 77)), kinds[kind]?.(n) ?? '']);
    }
    const md5 = createHash('md5').update(c.output).digest('hex');
    const started = Date.now();
    const r = decodeFrame(insert(body, at), { sum: md5, length: String(c.output.length) });
    t.true(r.ok, r.ok ? '' : r.reason);
    if (r.ok) t.deepEqual(r.bytes, c.output);
    t.true(Date.now() - started < 2000, `${Date.now() - started} ms`);
  }
});

test('decodeFrame: any one insertion anywhere in a body is recovered (seeded sweep)', (t) => {
  const rand = random(99);
  const foreign = [COLOURED(1), PIECE(2), 'chattytick3\n', 'chattytick4', '\n', 'x', '\x1b[0m', 'progress 5%\r\n'];
  let failures = 0;
  for (let n = 0; n < 300; n++) {
    const output = Buffer.from(text(1 + Math.floor(rand() * 6)).slice(0, Math.floor(rand() * 200)));
    const { body, md5, crc, length } = frameOf(output.toString());
    const pos = Math.floor(rand() * (body.length + 1));
    const insertion = foreign[n % foreign.length] ?? '';
    const r = decodeFrame(insert(body, [[pos, insertion]]), { sum: n % 2 ? md5 : crc, length });
    if (!r.ok || !r.bytes.equals(output)) {
      failures++;
      t.log(`${JSON.stringify(insertion)} at ${pos} of ${JSON.stringify(body)}: ${r.ok ? 'wrong bytes' : r.reason}`);
    }
  }
  t.is(failures, 0);
});

test('decodeFrame without a checksum accepts only a reading that guesses nothing', (t) => {
  const output = text(10);
  const { body, length } = frameOf(output);
  const none = { sum: 'none', length };
  const whole = decodeFrame(insert(body, [[lineAt(2), COLOURED(1)], [lineAt(4), 'chatty: tick 2\n']]), none);
  t.true(whole.ok);
  if (whole.ok) t.is(whole.bytes.toString(), output);
  const mid = decodeFrame(insert(body, [[lineAt(2, 30), COLOURED(1)]]), none);
  t.false(mid.ok);
  if (!mid.ok) t.regex(mid.reason, /no checksum to choose a reading/);
  t.false(decodeFrame(insert(body, [[lineAt(2), 'chattytick42\n']]), none).ok);
});

test('decodeFrame gives up, quickly, when foreign text cannot be told apart', (t) => {
  const output = text(20);
  const { body, md5, length } = frameOf(output);
  // Two foreign lines inside one base64 line: the line is in three pieces.
  const twice = decodeFrame(insert(body, [[lineAt(3, 20), COLOURED(1)], [lineAt(3, 50), COLOURED(2)]]), { sum: md5, length });
  t.false(twice.ok);
  if (!twice.ok) t.regex(twice.reason, /base64 body is malformed .*; no reading without foreign text matches/);
  // Binary output with a piece without newline in every line: too many readings to try.
  const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 251));
  const b64 = `${bytes.toString('base64').replace(/.{76}/g, '$&\n')}\n`;
  const lines = Math.ceil((b64.length - 1) / 77);
  const started = Date.now();
  const many = decodeFrame(insert(b64, Array.from({ length: lines }, (_, i) => [lineAt(i, 38), 'chattytick42'] as const)), {
    sum: createHash('md5').update(bytes).digest('hex'),
    length: String(bytes.length),
  });
  t.false(many.ok);
  if (!many.ok) t.regex(many.reason, /no reading without foreign text matches \(\d+ tried\)/);
  t.true(Date.now() - started < 3000, `${Date.now() - started} ms`);
});

test('gappedMarker finds an ack split by foreign text, but not in the echo of the typed line', (t) => {
  const ack = gappedMarker('0a1b2c3d4e5f_c1\n');
  t.true(ack.test('0a1b2c3d4e5f_c1\n'));
  t.true(ack.test('0a1b2c3d4e5f_chatty: tick 4\nc1\n'));
  t.true(ack.test('0a1b2cchatty-5 3d4e5f_c1\n'));
  t.false(ack.test(`__kt_s="$__kt_s"'QUJD'; printf '%s_%s\\n' 0a1b2c3d4e5f c1\n/ # chatty: c1\n`));
});
