// `gatehouse serve`: serve the endpoints a configuration and its OpenAPI document define.
import type { Command } from 'commander';
import { startGateway, stopOnSignals } from '../../main.js';
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
        const loaded = loadCliConfig(opts.config);
        const config = opts.port === undefined ? loaded : { ...loaded, server: { ...loaded.server, port: opts.port } };
        const logger = createLogger({ level: config.log.level });
        const running = await startGateway(config, logger);
        stopOnSignals(running, logger);
      });
    });
}
