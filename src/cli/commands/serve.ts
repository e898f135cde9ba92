// `gatehouse serve`: serve the endpoints a configuration and its OpenAPI document define.
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { startGateway, stopOnSignals } from '../../main.js';
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
        const loaded = loadConfig({ file: opts.config, env: process.env });
        const config = opts.port === undefined ? loaded : { ...loaded, server: { ...loaded.server, port: opts.port } };
        const logger = createLogger({ level: config.log.level });
        const running = await startGateway(config, logger);
        stopOnSignals(running, logger);
      });
    });
}
