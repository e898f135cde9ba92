// Picks the registrar the configuration names; the composition root and `gatehouse dns` build it through here.
import { hostname } from 'node:os';
import type { DiscoveryConfig } from '../config/types.js';
import { ConfigError } from '../errors/app-error.js';
import type { Logger } from '../observability/logger.js';
import { interfaceAddresses } from './local-addresses.js';
import { disabledRegistrar, type Registrar } from './registrar.js';

export interface RegistrarDeps {
  readonly logger: Logger;
  /** The port the records name (discovery.port, else the server's); part of the default instance id. */
  readonly port: number;
  /** Overrides discovery.instanceId (`gatehouse dns deregister --instance`). */
  readonly instanceId?: string;
  /** Overrides how the addresses are found (tests); default: discovery.addresses, else the host's interfaces. */
  readonly addresses?: () => readonly string[];
}

/** The replica's name in its records: stable across restarts of the same pod or host and port. */
export function defaultInstanceId(port: number): string {
  return `${hostname()}:${port}`;
}

/** The registrar; its implementation (the DNS wire format, TSIG, ...) is loaded only when one is configured. */
export async function createRegistrar(config: DiscoveryConfig, deps: RegistrarDeps): Promise<Registrar> {
  switch (config.registrar) {
    case 'none':
      return disabledRegistrar();
    case 'rfc2136': {
      // loadConfig guarantees both; a hand-built configuration might not.
      if (!config.rfc2136 || !config.name) throw new ConfigError(['discovery: registrar rfc2136 needs name and rfc2136']);
      const fixed = config.addresses;
      const { createRfc2136Registrar } = await import('./rfc2136/rfc2136-registrar.js');
      return createRfc2136Registrar({
        name: config.name,
        rfc2136: config.rfc2136,
        ttl: config.ttl,
        refreshSeconds: config.refreshSeconds,
        instanceId: deps.instanceId ?? config.instanceId ?? defaultInstanceId(deps.port),
        addresses: deps.addresses ?? (fixed ? () => fixed : interfaceAddresses),
        logger: deps.logger,
      });
    }
  }
}
