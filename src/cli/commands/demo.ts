// `gatehouse demo`: the embedded demo on PGlite, seeded with the legacy ERP database, with a ready token.
import type { Command } from 'commander';
import { mintToken } from '../../auth/mint-token.js';
import { createDataSources } from '../../db/sources.js';
import { DEMO_CLAIMS, DEMO_SCOPES, demoConfig } from '../../demo/demo-config.js';
import { seedErp } from '../../demo/erp-schema.js';
import { seedAccessHistory } from '../../demo/access-history.js';
import { startGateway, stopOnSignals } from '../../main.js';
import { createLogger } from '../../observability/logger.js';
import { port, run } from '../run-command.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run on an embedded PostgreSQL (PGlite) seeded with a small legacy ERP database')
    .option('-p, --port <port>', 'listen on this port (env PORT)', port)
    .option('--host <address>', 'listen on this address (default 127.0.0.1)')
    .option('--allow <cidr...>', 'also accept calls from these networks (needed with --host beyond loopback)')
    .option('--data-dir <dir>', 'keep the demo database in this directory (default: in memory)')
    .action(async (opts: { port?: number; host?: string; allow?: string[]; dataDir?: string }) => {
      await run(async () => {
        const config = demoConfig(opts, process.env);
        const logger = createLogger({ level: config.log.level });
        const sources = createDataSources(config.sources, logger);
        const summary = await seedErp(sources.get('erp')!.db);
        // Fresh statistics, so the migration report shows row estimates for the seeded tables.
        await sources.get('erp')!.db.raw('analyze');
        const running = await startGateway(config, logger, { sources });
        // A month of simulated cloud and on-prem use, so that the migration report has something to say.
        if (running.gateway.auditor) await seedAccessHistory(running.gateway.auditor, running.gateway.spec.operations);
        stopOnSignals(running, logger);
        const token = await mintToken(config.auth, {
          subject: 'demo-user',
          clientId: 'demo-cli',
          scopes: DEMO_SCOPES,
          claims: DEMO_CLAIMS,
          ttlSeconds: 8 * 3600,
        });
        printDemoBanner(running.url, summary, token);
      });
    });
}

function printDemoBanner(url: string, summary: unknown, token: string): void {
  const auth = `-H "Authorization: Bearer $TOKEN"`;
  const lines = [
    '',
    `Gatehouse demo is listening on ${url} (embedded PostgreSQL, legacy ERP seeded: ${JSON.stringify(summary)})`,
    '',
    'A token for the demo user (all ERP scopes, audit:read and reports:read, region EMEA, valid 8 hours):',
    `  export TOKEN=${token}`,
    '',
    'Try:',
    `  curl ${auth} '${url}/customers?select=id,name,region,creditLimit&order=name&limit=5'`,
    `  curl ${auth} '${url}/items?discontinued=is.false&unitCost=lt.20&order=unitCost.desc&limit=3'`,
    `  curl ${auth} '${url}/order-lines/10001/1'`,
    `  curl ${auth} -X POST '${url}/customers' -H 'Content-Type: application/json' -H 'Prefer: return=representation' \\`,
    `       -d '{"name":"Ada Lovelace","email":"ada@example.com","region":"EMEA"}'`,
    '',
    `  curl ${auth} '${url}/_gatehouse/audit/events?limit=5'          # the audit log: every request and SQL statement`,
    `  node dist/src/cli/index.js report migration --url ${url} --token "$TOKEN" --format html --out report.html   # what to move to the cloud`,
    '',
    'The customers rule shows only EMEA rows and masks credit limits; a customer in another region is 404.',
    `Contract: ${url}/openapi.json (yours: ?scoped=true with the token)   Docs: ${url}/docs/   Health: ${url}/readyz`,
    'Stop with Ctrl-C.',
    '',
  ];
  process.stderr.write(lines.join('\n'));
}
