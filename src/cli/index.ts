#!/usr/bin/env node
// The `gatehouse` command line: one file per command under commands/, registered here.
import { Command } from 'commander';
import { registerAudit } from './commands/audit.js';
import { registerCheck } from './commands/check.js';
import { registerDemo } from './commands/demo.js';
import { registerDns } from './commands/dns.js';
import { registerInit } from './commands/init.js';
import { registerMigrate } from './commands/migrate.js';
import { registerReport } from './commands/report.js';
import { registerServe } from './commands/serve.js';
import { registerToken } from './commands/token.js';

const program = new Command()
  .name('gatehouse')
  .description('Spec-driven CRUD API gateway for legacy PostgreSQL and SQL Server databases')
  .showHelpAfterError()
  // Usage errors (unknown option, bad option value) exit 2, like every other bad-input error of ours.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

registerServe(program);
registerDemo(program);
registerInit(program);
registerCheck(program);
registerToken(program);
registerMigrate(program);
registerAudit(program);
registerDns(program);
registerReport(program);

await program.parseAsync(process.argv);
