import test from 'ava';
import { execFileSync } from 'node:child_process';
import { shellArg, shellQuote } from '../../src/util/shell-quote.ts';

const awkward = ["it's", '', 'a b', '$HOME', '`id`', '"q"', 'back\\slash', 'new\nline', '*', '~', 'a=b', "''", '-n', 'ünï'];

test('shellQuote always single-quotes, an embedded quote as \'\\\'\'', (t) => {
  t.is(shellQuote('eth0'), `'eth0'`);
  t.is(shellQuote("it's"), `'it'\\''s'`);
  t.is(shellQuote(''), `''`);
});

test('shellArg leaves plain words bare and quotes the rest as shellQuote does', (t) => {
  t.is(shellArg('/containers/onboot/000-dhcp'), '/containers/onboot/000-dhcp');
  t.is(shellArg('file=/a/b.img,format=raw'), 'file=/a/b.img,format=raw');
  for (const word of awkward.filter((w) => !/^[A-Za-z0-9_@%+=:,./-]+$/.test(w))) t.is(shellArg(word), shellQuote(word));
});

test('the shell reads every quoted word back as it was', (t) => {
  const script = `for w in ${awkward.map(shellQuote).join(' ')} ${awkward.map(shellArg).join(' ')}; do printf '[%s]' "$w"; done`;
  const expected = [...awkward, ...awkward].map((w) => `[${w}]`).join('');
  t.is(execFileSync('sh', ['-c', script], { encoding: 'utf8' }), expected);
});
