// kittest's entry point: parse argv, dispatch to a command, and turn errors into exit codes.
// The only place that calls process.exit.
import { parseArgs } from 'node:util';
import { commands, type CommandSpec } from './commands/catalog.ts';
import { ExitCode, KittestError, UsageError } from './errors.ts';
import { dropOutputOnceClosed } from './util/closed-output.ts';
import { installSignalHandlers } from './util/signals.ts';
import { safeForTerminal } from './util/terminal-safe.ts';
import { version } from './config/version.ts';

function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'kittest — boot LinuxKit-style images under QEMU and check that they conform',
    '',
    'Usage: kittest <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  -h, --help     show help (also: kittest <command> --help)',
    '  -v, --version  show the version',
    '',
    'Exit codes: 0 all passed, 1 a case failed or errored, 2 bad input, 130/143 interrupted.',
  ].join('\n');
}

function commandHelp(spec: CommandSpec): string {
  const names = Object.keys(spec.options);
  const width = Math.max(0, ...names.map((n) => n.length + 2));
  return [
    `kittest ${spec.name} — ${spec.summary}`,
    '',
    `Usage: ${spec.usage}`,
    ...(names.length ? ['', 'Options:', ...names.map((n) => `  --${n.padEnd(width)} ${spec.help[n] ?? ''}`)] : []),
    `  --${'help'.padEnd(width)} show this help`,
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    process.stdout.write(`${mainHelp()}\n`);
    return first === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (first === '-v' || first === '--version') {
    process.stdout.write(`${version}\n`);
    return ExitCode.ok;
  }
  if (first.startsWith('-')) throw new UsageError(`unknown option "${first}" (see kittest --help)`);
  const spec = commands.find((c) => c.name === first);
  if (!spec) throw new UsageError(`unknown command "${first}" (commands: ${commands.map((c) => c.name).join(', ')})`);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: rest, options: { ...spec.options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: true });
  } catch (error) {
    const message = (error as Error).message.split('\n')[0]?.replace(/\. To specify a positional argument.*$/, '') ?? 'bad arguments';
    throw new UsageError(`${spec.name}: ${message} (see kittest ${spec.name} --help)`);
  }
  if (parsed.values.help) {
    process.stdout.write(`${commandHelp(spec)}\n`);
    return ExitCode.ok;
  }
  const limits = spec.positionals ?? { min: 0, max: 0 };
  if (parsed.positionals.length < limits.min || parsed.positionals.length > limits.max) {
    throw new UsageError(
      parsed.positionals.length > limits.max
        ? `${spec.name}: unexpected argument "${parsed.positionals[limits.max]}" (usage: ${spec.usage})`
        : `${spec.name}: missing argument (usage: ${spec.usage})`,
    );
  }
  const run = await spec.load();
  return run(parsed.values as Record<string, unknown>, parsed.positionals);
}

// Ctrl-C outside a machine's life (a build, a download) cleans up and exits 130 (143 for SIGTERM) at once.
installSignalHandlers((code) => process.exit(code));
// A closed stdout or stderr stops the printing; the run still stops its machines and writes its reports.
dropOutputOnceClosed(process.stdout);
dropOutputOnceClosed(process.stderr);
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof KittestError) {
    process.stderr.write(`kittest: ${safeForTerminal(error.message.split('\n')[0] ?? '')}\n`);
    process.exitCode = error.exitCode;
  } else {
    const e = error as Error;
    process.stderr.write(`kittest: internal error: ${safeForTerminal(e?.message ?? String(error))}\n`);
    if (process.env.KITTEST_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
    process.exitCode = ExitCode.internal;
  }
}
