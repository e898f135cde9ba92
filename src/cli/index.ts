#!/usr/bin/env node
// The `gatehouse` command line: one file per command under commands/, registered here.
import { Command, Help, type Option } from 'commander';

type Register = (program: Command) => void;

/**
 * Each command's module, loaded only when that command runs (or when help lists them all): `serve` does not pay for
 * the modules of `init`, `report` or `audit` (progress bars, charts, DNS wire format, introspection) at start-up.
 */
const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  serve: async () => (await import('./commands/serve.js')).registerServe,
  demo: async () => (await import('./commands/demo.js')).registerDemo,
  init: async () => (await import('./commands/init.js')).registerInit,
  check: async () => (await import('./commands/check.js')).registerCheck,
  token: async () => (await import('./commands/token.js')).registerToken,
  migrate: async () => (await import('./commands/migrate.js')).registerMigrate,
  audit: async () => (await import('./commands/audit.js')).registerAudit,
  config: async () => (await import('./commands/config.js')).registerConfig,
  dns: async () => (await import('./commands/dns.js')).registerDns,
  report: async () => (await import('./commands/report.js')).registerReport,
};

const program = new Command()
  .name('gatehouse')
  .description('Spec-driven CRUD API gateway for legacy PostgreSQL databases, with access policies and a tamper-evident audit log')
  .showHelpAfterError()
  // Commander's help does not say which options are mandatory; every subcommand inherits this.
  .configureHelp({
    optionDescription(this: Help, option: Option): string {
      const described = Help.prototype.optionDescription.call(this, option);
      return option.mandatory ? `${described} (required)` : described;
    },
  })
  // Usage errors (unknown option, bad option value) exit 2, like every other bad-input error of ours.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

// The program takes no options of its own, so the first argument names the command; anything else (help, no command,
// a misspelt one) registers them all, for commander to list them or suggest one.
const named = process.argv[2];
const chosen = named !== undefined && Object.hasOwn(COMMANDS, named) ? [named] : Object.keys(COMMANDS);
for (const register of await Promise.all(chosen.map((name) => COMMANDS[name]!()))) register(program);

await program.parseAsync(process.argv);
