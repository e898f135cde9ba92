// Composition root: configuration → metrics → gateway → listen → participants (DNS registration, …); SIGHUP (or a
// changed file) reloads; SIGTERM / SIGINT fail readiness, withdraw, drain, then close (lifecycle/shutdown.ts).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GatehouseConfig } from './config/types.js';
import { StartupError } from './errors/app-error.js';
import { createRegistrar } from './discovery/create-registrar.js';
import { disabledRegistrar, type Registrar } from './discovery/registrar.js';
import { createGateway, type Gateway, type GatewayOptions } from './gateway.js';
import { watchConfigFiles, type ConfigWatch } from './lifecycle/config-watch.js';
import type { LifecycleParticipant } from './lifecycle/participant.js';
import { shutDown } from './lifecycle/shutdown.js';
import type { Logger } from './observability/logger.js';
import { startMetricsServer, type MetricsServer } from './observability/metrics-server.js';
import { metricsListening, type ReloadFinished, type ReloadTrigger } from './observability/observation.js';

export interface RunningGateway {
  readonly gateway: Gateway;
  readonly server: Server;
  readonly url: string;
  /** The metrics listener's scrape URL, when metrics are enabled. */
  readonly metricsUrl: string | undefined;
  /** Publishes the gateway's name (discovery:); its status() is in /readyz's details. */
  readonly registrar: Registrar;
  /** Re-reads the configuration and contract and swaps them in when they pass the start-up checks. */
  reload(trigger: ReloadTrigger): Promise<ReloadFinished>;
  stop(signal?: string): Promise<void>;
}

export interface StartOptions extends Omit<GatewayOptions, 'metrics'> {
  /**
   * Reads the configuration again (file, environment, command-line overrides) for a reload. Absent: the
   * configuration cannot be reloaded (the embedded demo builds its own).
   */
  readonly loadConfig?: () => GatehouseConfig;
  /** The configuration file, polled every server.watchConfigMs (with the contract) when that is set. */
  readonly configFile?: string;
  /** Told when the gateway serves and when it stops (e.g. a DNS registration). */
  readonly participants?: readonly LifecycleParticipant[];
}

export async function startGateway(config: GatehouseConfig, logger: Logger, options: StartOptions = {}): Promise<RunningGateway> {
  // The registry is made here and handed down: nothing registers metrics globally.
  // prom-client is loaded only when metrics are on: it is a sizeable share of an idle process's memory.
  const metrics = config.metrics.enabled ? (await import('./observability/metrics.js')).createMetrics() : undefined;
  // The registrar needs the listening port, the readiness route needs its status from the start.
  let registrar: Registrar = disabledRegistrar();
  const publishing = config.discovery.registrar !== 'none';
  const gateway = await createGateway(config, logger, {
    ...options,
    metrics,
    ...(publishing ? { readinessDetails: { ...options.readinessDetails, dns: () => registrar.status() } } : {}),
  });
  let metricsServer: MetricsServer | undefined;
  const server = createServer(gateway.listener);
  try {
    server.listen(config.server.port, config.server.host);
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    }).catch((err: unknown) => {
      throw listenFailure(err, config.server.host, config.server.port);
    });
    if (metrics) {
      metricsServer = await startMetricsServer(config.metrics, metrics, logger).catch((err: unknown) => {
        throw new Error(`cannot listen for metrics on ${config.metrics.host}:${config.metrics.port} (metrics.host / metrics.port): ${String(err)}`, { cause: err });
      });
      gateway.observe(metricsListening(metricsServer.url));
    }
  } catch (err) {
    server.close();
    await gateway.close();
    throw err;
  }
  server.keepAliveTimeout = 65_000;
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  // Registration runs in the background and never stops the gateway from serving; trouble shows in /readyz and the
  // log. It is withdrawn as soon as the shutdown begins, while the gateway drains.
  const publishedPort = config.discovery.port ?? address.port;
  registrar = await createRegistrar(config.discovery, { logger, port: publishedPort });
  const published = registrar;
  const dns: LifecycleParticipant = { name: 'dns', start: () => published.start(publishedPort), stop: () => published.stop() };
  const participants = [dns, ...(options.participants ?? [])];

  const { loadConfig } = options;
  const reload = (trigger: ReloadTrigger): Promise<ReloadFinished> =>
    gateway.reload(loadConfig ?? (() => { throw new Error('this gateway was not started from a configuration file: restart it to change its configuration'); }), trigger);
  let watch: ConfigWatch | undefined;
  if (loadConfig && options.configFile !== undefined && config.server.watchConfigMs > 0) {
    const configFile = options.configFile;
    watch = watchConfigFiles(() => [configFile, gateway.config.spec], config.server.watchConfigMs, () => void reload('file_change'));
  }

  let stopping: Promise<void> | undefined;
  const stop = (signal?: string): Promise<void> => {
    stopping ??= (async () => {
      watch?.close();
      await shutDown({ gateway, server, participants, logger, closeMetrics: metricsServer ? () => metricsServer!.close() : undefined }, signal);
    })();
    return stopping;
  };
  logger.info('listening', { event: 'listening', url, resources: gateway.spec.resources.length });
  for (const participant of participants) {
    Promise.resolve()
      .then(() => participant.start?.({ url, port: address.port }))
      .catch((err: unknown) =>
        logger.error(`${participant.name}: starting failed`, { event: 'participant_start_failed', participant: participant.name, error: String(err) }),
      );
  }
  return { gateway, server, url, metricsUrl: metricsServer?.url, registrar, reload, stop };
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
    running.stop(signal).then(
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

/** SIGHUP re-reads the configuration and the contract (the outcome is logged and audited by the gateway). */
export function reloadOnHangup(running: RunningGateway): void {
  process.on('SIGHUP', () => void running.reload('SIGHUP'));
}
