// The `--config` option every command shares (GATEHOUSE_CONFIG via commander's Option.env), and reading that file
// with the process environment: the one place the CLI's commands get their configuration and environment from.
import { constants, accessSync, statSync } from 'node:fs';
import { Option } from 'commander';
import { loadConfig, type Env } from '../config/load.js';
import type { GatehouseConfig } from '../config/types.js';
import { UsageError } from './run-command.js';

export const DEFAULT_CONFIG_FILE = 'gatehouse.yaml';

/** `-c, --config <file>`: the flag, else GATEHOUSE_CONFIG, else ./gatehouse.yaml. */
export function configOption(description = 'configuration file'): Option {
  return new Option('-c, --config <file>', description).env('GATEHOUSE_CONFIG').default(DEFAULT_CONFIG_FILE);
}

/** The environment configuration overrides (`GATEHOUSE_SERVER__PORT`, `${SECRET}` references, PORT) come from. */
export function cliEnvironment(): Env {
  return process.env;
}

export interface CliConfigOptions {
  /** Stands in for `spec:` (e.g. `init --out FILE`, which does not need the configuration to name one). */
  readonly spec?: string;
}

/** Loads the configuration file; a file that cannot be read is a usage error naming what to do. */
export function loadCliConfig(file: string, options: CliConfigOptions = {}): GatehouseConfig {
  assertReadable(file);
  const env = cliEnvironment();
  return loadConfig({ file, env: options.spec === undefined ? env : { ...env, GATEHOUSE_SPEC: options.spec } });
}

function assertReadable(file: string): void {
  const hint =
    file === DEFAULT_CONFIG_FILE
      ? ` in this directory; name one with --config FILE or GATEHOUSE_CONFIG (gatehouse.example.yaml is an annotated starting point)`
      : '';
  try {
    if (statSync(file).isDirectory()) throw new UsageError(`${file} is a directory, not a configuration file`);
    accessSync(file, constants.R_OK);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`cannot read ${file}: there is no such file${hint}`);
    if (code === 'EACCES' || code === 'EPERM') throw new UsageError(`cannot read ${file}: permission denied`);
    throw new UsageError(`cannot read ${file}: ${code ?? String(err)}`);
  }
}
