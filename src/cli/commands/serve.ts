// `gatehouse serve`: serve the endpoints a configuration and its OpenAPI document define; SIGHUP reloads both.
import type { Command } from 'commander';
import type { GatehouseConfig } from '../../config/types.js';
import { createLogger } from '../../observability/logger.js';
import { configOption, loadCliConfig } from '../cli-config.js';
import { port, run } from '../run-command.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the endpoints a configuration and its OpenAPI document define')
    .addOption(configOption())
    .option('-p, --port <port>', 'listen on this port (env PORT)', port)
    .action(async (opts: { config: string; port?: number }) => {
      await run(async () => {
        // Read at start-up and again on every reload, with the same command-line overrides.
        const load = (): GatehouseConfig => {
          const loaded = loadCliConfig(opts.config);
          return opts.port === undefined ? loaded : { ...loaded, server: { ...loaded.server, port: opts.port } };
        };
        const config = load();
        const logger = createLogger({ level: config.log.level });
        // While the rest of the gateway loads, a worker thread reads the contract on the other core, and the data sources
        // open and read their catalogs (the database answers the start-up check's catalog queries meanwhile).
        const { readContractAhead } = await import('../../openapi/contract-read-ahead.js');
        const contractAhead = readContractAhead(config.spec);
        const [{ createDataSources }, { readCatalogsAhead }] = await Promise.all([import('../../db/sources.js'), import('../../openapi/check-bindings.js')]);
        const sources = createDataSources(config.sources, logger);
        const catalogsAhead = readCatalogsAhead(sources);
        const { reloadOnHangup, startGateway, stopOnSignals } = await import('../../main.js');
        const running = await startGateway(config, logger, { loadConfig: load, configFile: opts.config, sources, catalogsAhead, contractAhead });
        stopOnSignals(running, logger);
        reloadOnHangup(running);
      });
    });
}
