#!/usr/bin/env node
// The `gatehouse` command line: one file per command under commands/, registered here.
import { Command, Help, type Option } from 'commander';
import { registerAudit } from './commands/audit.js';
import { registerCheck } from './commands/check.js';
import { registerConfig } from './commands/config.js';
import { registerDemo } from './commands/demo.js';
import { registerDns } from './commands/dns.js';
import { registerInit } from './commands/init.js';
import { registerMigrate } from './commands/migrate.js';
import { registerReport } from './commands/report.js';
import { registerServe } from './commands/serve.js';
import { registerToken } from './commands/token.js';

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

registerServe(program);
registerDemo(program);
registerInit(program);
registerCheck(program);
registerToken(program);
registerMigrate(program);
registerAudit(program);
registerConfig(program);
registerDns(program);
registerReport(program);

await program.parseAsync(process.argv);
