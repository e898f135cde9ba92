// Composition root: configuration → gateway → listen → publish in DNS; SIGTERM / SIGINT withdraw and drain, then close.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GatehouseConfig } from './config/types.js';
import { StartupError } from './errors/app-error.js';
import { createRegistrar } from './discovery/create-registrar.js';
import { disabledRegistrar, type Registrar } from './discovery/registrar.js';
import { createGateway, type Gateway, type GatewayOptions } from './gateway.js';
import type { Logger } from './observability/logger.js';

export interface RunningGateway {
  readonly gateway: Gateway;
  readonly server: Server;
  readonly url: string;
  /** Publishes the gateway's name (discovery:); its status() is in /readyz's details. */
  readonly registrar: Registrar;
  stop(): Promise<void>;
}

export async function startGateway(
  config: GatehouseConfig,
  logger: Logger,
  options: GatewayOptions = {},
): Promise<RunningGateway> {
  // The registrar needs the listening port, the readiness route needs its status from the start.
  let registrar: Registrar = disabledRegistrar();
  const publishing = config.discovery.registrar !== 'none';
  const gateway = await createGateway(config, logger, {
    ...options,
    ...(publishing ? { readinessDetails: { ...options.readinessDetails, dns: () => registrar.status() } } : {}),
  });
  const server = createServer(gateway.listener);
  server.listen(config.server.port, config.server.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  }).catch(async (err: unknown) => {
    await gateway.close();
    throw listenFailure(err, config.server.host, config.server.port);
  });
  server.keepAliveTimeout = 65_000;
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  // Registration runs in the background and never stops the gateway from serving; trouble shows in /readyz and the log.
  const publishedPort = config.discovery.port ?? address.port;
  registrar = createRegistrar(config.discovery, { logger, port: publishedPort });
  registrar.start(publishedPort);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), config.server.shutdownGraceMs);
      grace.unref();
      // Withdrawn while in-flight requests drain: new callers stop being sent here as soon as possible.
      await Promise.all([closed, registrar.stop()]);
      clearTimeout(grace);
      await gateway.close();
      logger.info('stopped', { event: 'stopped' });
    })();
    return stopping;
  };
  logger.info('listening', { event: 'listening', url, resources: gateway.spec.resources.length });
  return { gateway, server, url, registrar, stop };
}

/** Why the server could not listen, saying what to change. */
function listenFailure(err: unknown, host: string, port: number): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const because: Record<string, string> = {
    EADDRINUSE: 'another process is listening there; choose another port (--port, PORT or server.port) or stop that process',
    EACCES: 'this user may not listen on that port; choose one above 1023 (--port, PORT or server.port)',
    EADDRNOTAVAIL: `${host} is not an address of this machine; check server.host`,
    ENOTFOUND: `${host} does not resolve; check server.host`,
  };
  return code !== undefined && because[code] ? new StartupError(`cannot listen on ${where}: ${because[code]}`, { cause: err }) : err;
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
