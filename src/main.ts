// Composition root: configuration → gateway → listen; SIGTERM / SIGINT drain in-flight requests, then close.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GatehouseConfig } from './config/types.js';
import { createGateway, type Gateway, type GatewayOptions } from './gateway.js';
import type { Logger } from './observability/logger.js';

export interface RunningGateway {
  readonly gateway: Gateway;
  readonly server: Server;
  readonly url: string;
  stop(): Promise<void>;
}

export async function startGateway(
  config: GatehouseConfig,
  logger: Logger,
  options: GatewayOptions = {},
): Promise<RunningGateway> {
  const gateway = await createGateway(config, logger, options);
  const server = createServer(gateway.listener);
  server.listen(config.server.port, config.server.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  }).catch(async (err) => {
    await gateway.close();
    throw err;
  });
  server.keepAliveTimeout = 65_000;
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), config.server.shutdownGraceMs);
      grace.unref();
      await closed;
      clearTimeout(grace);
      await gateway.close();
      logger.info('stopped', { event: 'stopped' });
    })();
    return stopping;
  };
  logger.info('listening', { event: 'listening', url, resources: gateway.spec.resources.length });
  return { gateway, server, url, stop };
}

/** Stops on the first SIGTERM / SIGINT; a second one exits at once. */
export function stopOnSignals(running: RunningGateway, logger: Logger): void {
  let received = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (received) process.exit(1);
    received = true;
    logger.info('shutting down', { event: 'shutdown', signal });
    running.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('shutdown failed', { event: 'shutdown_failed', error: String(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
