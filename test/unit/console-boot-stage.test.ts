import test from 'ava';
import { describeStall, GuestSpeech, lastBootStage } from '../../src/console/boot-stage.ts';

const seenIn = (text: string) => (pattern: RegExp) => pattern.test(text);

test('the last boot stage is read from what the console showed', (t) => {
  t.is(lastBootStage(seenIn('BdsDxe: loading Boot0001')), 'firmware');
  t.is(lastBootStage(seenIn('[    0.000000] Linux version 6.12.118 (debian-kernel@lists.debian.org)')), 'kernel');
  t.is(lastBootStage(seenIn('[    2.1] Linux version 6.12\n[    8.5] Run /init as init process')), 'init');
  t.is(lastBootStage(seenIn('Linux version 6.12\nRun /init as init process\nkittest-init: [9.1] starting containerd')), 'services');
  t.is(lastBootStage(seenIn('Linux version 6.12\nRun /init as init process\ngetty:/# ')), 'shell');
});

test('a stall names the stage and the silence, or says nothing was printed', (t) => {
  t.is(describeStall('init', 30_000, 12_500), 'the boot stopped after the init stage; the console has been silent for 17.5 s');
  t.is(describeStall('firmware', 30_000, undefined), 'the guest printed nothing at all');
});

test("the echo of kittest's probes is not the guest speaking", (t) => {
  const speech = new GuestSpeech();
  speech.write('[    1.0] Run /init as init process\n', 1000);
  speech.write("printf '%s_%s\\n' 0a1b2c3d4e5f ready\r\n", 5000);
  speech.write("printf '%s_%s\\n' 99887766aabb ready\n", 6500);
  t.is(speech.lastAtMs, 1000);
  speech.write('kittest-fixture: still alive\n', 7000);
  t.is(speech.lastAtMs, 7000);
});

test('a probe echo arriving in pieces is still not the guest speaking, but a prompt without a newline is', (t) => {
  const speech = new GuestSpeech();
  speech.write('Run /init as init process\n', 1000);
  for (const [i, piece] of ["pri", "ntf '%s_", "%s\\n' 0a1b", "2c ready", "\n"].entries()) speech.write(piece, 2000 + i);
  t.is(speech.lastAtMs, 1000);
  speech.write('getty:/# ', 3000);
  t.is(speech.lastAtMs, 3000);
});
