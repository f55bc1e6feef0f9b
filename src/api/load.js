// The package entry (`import { boot } from 'kittest'`): loads the TypeScript API through tsx, as
// bin/kittest.js does for the CLI, so no build step is needed. Types come from src/api/index.ts.
import { tsImport } from 'tsx/esm/api';

const api = await tsImport('./index.ts', import.meta.url);

export const { boot, BootFailed, KittestMachine, AssertionFailed, ConfigError, HostError, KittestError, MachineError, UsageError } = api;
