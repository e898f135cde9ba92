// `gatehouse serve`: serve the endpoints a configuration and its OpenAPI document define; SIGHUP reloads both.
import type { Command } from 'commander';
import type { GatehouseConfig } from '../../config/types.js';
import { reloadOnHangup, startGateway, stopOnSignals } from '../../main.js';
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
        const running = await startGateway(config, logger, { loadConfig: load, configFile: opts.config });
        stopOnSignals(running, logger);
        reloadOnHangup(running);
      });
    });
}
