#!/usr/bin/env node
// The `gatehouse` command line: serve a configuration, or run the embedded demo.
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config/load.js';
import { ConfigError, SpecError } from '../errors/app-error.js';
import { startGateway, stopOnSignals } from '../main.js';
import { createDataSources } from '../db/sources.js';
import { demoConfig } from '../demo/demo-config.js';
import { seedErp } from '../demo/erp-schema.js';
import { createLogger } from '../observability/logger.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is 0–65535');
  return n;
}

const program = new Command()
  .name('gatehouse')
  .description('Spec-driven CRUD API gateway for legacy PostgreSQL and SQL Server databases')
  .showHelpAfterError();

program
  .command('serve')
  .description('serve the endpoints a configuration and its OpenAPI document define')
  .option('-c, --config <file>', 'configuration file (env GATEHOUSE_CONFIG)', process.env.GATEHOUSE_CONFIG ?? 'gatehouse.yaml')
  .option('-p, --port <port>', 'listen on this port (env PORT)', port)
  .action(async (opts: { config: string; port?: number }) => {
    await run(async () => {
      const loaded = loadConfig({ file: opts.config, env: process.env });
      const config = opts.port === undefined ? loaded : { ...loaded, server: { ...loaded.server, port: opts.port } };
      const logger = createLogger({ level: config.log.level });
      const running = await startGateway(config, logger);
      stopOnSignals(running, logger);
    });
  });

program
  .command('demo', { isDefault: false })
  .description('run on an embedded PostgreSQL (PGlite) seeded with a small legacy ERP database')
  .option('-p, --port <port>', 'listen on this port (env PORT)', port)
  .option('--data-dir <dir>', 'keep the demo database in this directory (default: in memory)')
  .action(async (opts: { port?: number; dataDir?: string }) => {
    await run(async () => {
      const config = demoConfig({ port: opts.port, dataDir: opts.dataDir }, process.env);
      const logger = createLogger({ level: config.log.level });
      const sources = createDataSources(config.sources);
      const summary = await seedErp(sources.get('erp')!.db);
      const running = await startGateway(config, logger, { sources });
      stopOnSignals(running, logger);
      printDemoBanner(running.url, summary);
    });
  });

function printDemoBanner(url: string, summary: unknown): void {
  const lines = [
    '',
    `Gatehouse demo is listening on ${url} (embedded PostgreSQL, legacy ERP seeded: ${JSON.stringify(summary)})`,
    '',
    'Try:',
    `  curl '${url}/customers?region=eq.EMEA&select=id,name,region&order=name&limit=5'`,
    `  curl '${url}/customers/42'`,
    `  curl '${url}/order-lines/1/1'`,
    `  curl -X POST '${url}/customers' -H 'Content-Type: application/json' -H 'Prefer: return=representation' \\`,
    `       -d '{"name":"Ada Lovelace","email":"ada@example.com","region":"EMEA"}'`,
    '',
    `Contract: ${url}/openapi.json   Docs: ${url}/docs/   Health: ${url}/readyz`,
    'Stop with Ctrl-C.',
    '',
  ];
  process.stderr.write(lines.join('\n'));
}

async function run(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (err instanceof ConfigError || err instanceof SpecError) {
      process.stderr.write(`gatehouse: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`gatehouse: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  }
}

await program.parseAsync(process.argv);
