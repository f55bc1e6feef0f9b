// The console engine's public surface: import from here, not from the files behind it.
export { consoleDefaults, type ConsoleDefaults } from './defaults.ts';
export { posixCksum } from './cksum.ts';
export {
  ConsoleEngine,
  type ConsoleEngineOptions,
  type ConsoleFailure,
  type ConsoleMatch,
  type ConsolePattern,
  type TimelineEntry,
  type WaitOptions,
} from './engine.ts';
export { ConsoleEndedError, ConsoleFailureError, ConsoleTimeoutError, FrameError } from './errors.ts';
export {
  compileFailurePatterns,
  defaultFailurePatterns,
  matchFailure,
  type FailurePattern,
  type FailurePatternSpec,
} from './failure-patterns.ts';
export { decodeFrame, frameCommand, withoutPrintk, type DecodedFrame, type FrameCheck, type FramedCommand, type ViaWrapper } from './framing.ts';
export { FileLogSink, MemoryLogSink, formatElapsed, safeForTerminal, type ConsoleLogSink, type FileLogSinkOptions } from './log-sink.ts';
export {
  Shell,
  summarize,
  type FindShellOptions,
  type LoginOptions,
  type RunOptions,
  type RunResult,
  type ShellOptions,
  type WaitUntilOptions,
} from './shell.ts';
export { StreamText, terminalAnswer, type CleanChunk, type CursorReport, type TerminalQuery } from './stream-text.ts';
