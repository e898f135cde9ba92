// `gatehouse demo`: the embedded demo on PGlite, seeded with the legacy ERP database, with a ready token.
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { demoSpecFile } from '../../demo/demo-config.js';
import { demoSigningKey, writeDemoCliConfig } from '../../demo/demo-data-dir.js';
import { startDemo } from '../../demo/start-demo.js';
import { stopOnSignals } from '../../main.js';
import { cliEnvironment } from '../cli-config.js';
import { printDemoBanner } from '../demo-banner.js';
import { port, run, UsageError } from '../run-command.js';

interface DemoCliOptions {
  port?: number;
  host?: string;
  allow?: string[];
  dataDir?: string;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run on an embedded PostgreSQL (PGlite) seeded with a small legacy ERP database')
    .option('-p, --port <port>', 'listen on this port (env PORT; default 8080)', port)
    .option('--host <address>', 'listen on this address (default 127.0.0.1)')
    .option('--allow <cidr...>', 'also accept calls from these networks (needed with --host beyond loopback)')
    .option('--data-dir <dir>', 'keep the databases, the audit log and its signing key in this directory (default: in memory)')
    .action(async (opts: DemoCliOptions) => {
      await run(async () => {
        const dataDir = opts.dataDir === undefined ? undefined : prepareDataDir(opts.dataDir);
        const auditSigningKey = dataDir === undefined ? undefined : demoSigningKey(dataDir);
        const cliConfig = dataDir === undefined ? undefined : writeDemoCliConfig(dataDir, demoSpecFile());
        const demo = await startDemo({ ...opts, dataDir, auditSigningKey }, cliEnvironment());
        stopOnSignals(demo.running, demo.logger);
        printDemoBanner(process.stderr, { url: demo.running.url, summary: demo.summary, token: demo.token, cliConfig });
      });
    });
}

/** The data directory, made if only its last part is missing (a mistyped parent is more likely a mistake). */
function prepareDataDir(dir: string): string {
  const resolved = path.resolve(dir);
  try {
    if (!statSync(resolved).isDirectory()) throw new UsageError(`--data-dir ${dir}: not a directory`);
    return resolved;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new UsageError(`--data-dir ${dir}: cannot use it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }
  try {
    mkdirSync(resolved);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`--data-dir ${dir}: ${path.dirname(resolved)} does not exist; create it first`);
    throw new UsageError(`--data-dir ${dir}: cannot create it (${code ?? String(err)})`);
  }
  return resolved;
}
