// `gatehouse serve`: serve the endpoints a configuration and its OpenAPI document define; SIGHUP reloads both.
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import type { GatehouseConfig } from '../../config/types.js';
import { reloadOnHangup, startGateway, stopOnSignals } from '../../main.js';
import { createLogger } from '../../observability/logger.js';
import { port, run } from '../run-command.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the endpoints a configuration and its OpenAPI document define')
    .option('-c, --config <file>', 'configuration file (env GATEHOUSE_CONFIG)', process.env.GATEHOUSE_CONFIG ?? 'gatehouse.yaml')
    .option('-p, --port <port>', 'listen on this port (env PORT)', port)
    .action(async (opts: { config: string; port?: number }) => {
      await run(async () => {
        // Read at start-up and again on every reload, with the same command-line overrides.
        const load = (): GatehouseConfig => {
          const loaded = loadConfig({ file: opts.config, env: process.env });
          return opts.port === undefined ? loaded : { ...loaded, server: { ...loaded.server, port: opts.port } };
        };
        const config = load();
        const logger = createLogger({ level: config.log.level });
        const running = await startGateway(config, logger, { loadConfig: load, configFile: opts.config });
        stopOnSignals(running, logger);
        reloadOnHangup(running);
      });
    });
}
