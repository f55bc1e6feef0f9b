// Guest output is untrusted: never let its escape sequences reach the user's terminal raw.
// One implementation serves the console log and every terminal writer.
export { safeForTerminal } from '../console/log-sink.ts';
