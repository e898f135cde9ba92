// `gatehouse demo`: the embedded demo on PGlite, seeded with the legacy ERP database.
import type { Command } from 'commander';
import { createDataSources } from '../../db/sources.js';
import { demoConfig } from '../../demo/demo-config.js';
import { seedErp } from '../../demo/erp-schema.js';
import { startGateway, stopOnSignals } from '../../main.js';
import { createLogger } from '../../observability/logger.js';
import { port, run } from '../run-command.js';

export function registerDemo(program: Command): void {
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
}

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
