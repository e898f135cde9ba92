// The `network` configuration compiled once: address lists with zones expanded, and the zone of an address.
import type { NetworkConfig } from '../config/types.js';
import { ConfigError } from '../errors/app-error.js';
import { didYouMean } from '../util/did-you-mean.js';
import { cidrContains, parseCidr, type Cidr } from './cidr.js';
import type { IpAddress } from './ip-address.js';

/** As in the schema; no CIDR can look like one (IPv6 has colons, IPv4 starts with a digit). */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_.-]*$/;

export interface AddressList {
  readonly cidrs: readonly Cidr[];
  contains(address: IpAddress): boolean;
}

export interface NetworkPolicy {
  readonly trustedProxies: AddressList;
  readonly allow: AddressList;
  readonly zones: ReadonlyMap<string, AddressList>;
  /** Per client id (the token's client id): where that client may call from. */
  readonly clients: ReadonlyMap<string, AddressList>;
  /** Per scope: where a token holding that scope may call from. */
  readonly scopes: ReadonlyMap<string, AddressList>;
  /** The most specific zone containing the address (ties: the first in configuration order). */
  zoneOf(address: IpAddress): string | undefined;
}

/** Compiles `network`; throws ConfigError naming every bad entry by its key path. */
export function compileNetwork(config: NetworkConfig): NetworkPolicy {
  const problems: string[] = [];
  const policy = build(config, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return policy;
}

/** Every problem in `network`, each prefixed with its key path (config/load.ts reports them at start-up). */
export function networkConfigProblems(config: NetworkConfig): string[] {
  const problems: string[] = [];
  build(config, problems);
  return problems;
}

function build(config: NetworkConfig, problems: string[]): NetworkPolicy {
  const zones = new Map<string, AddressList>();
  for (const [name, entries] of Object.entries(config.zones)) {
    const cidrs: Cidr[] = [];
    entries.forEach((entry, i) => {
      const parsed = parseCidr(entry);
      if (typeof parsed !== 'string') cidrs.push(parsed);
      else if (ZONE_NAME.test(entry)) problems.push(`${path('zones', name)}[${i}]: "${entry}" is a name, but zones hold CIDRs only`);
      else problems.push(`${path('zones', name)}[${i}]: ${parsed}`);
    });
    zones.set(name, addressList(cidrs));
  }

  const list = (at: string, entries: readonly string[]): AddressList => {
    const cidrs: Cidr[] = [];
    entries.forEach((entry, i) => {
      const parsed = parseCidr(entry);
      if (typeof parsed !== 'string') {
        cidrs.push(parsed);
        return;
      }
      const zone = zones.get(entry);
      if (zone) cidrs.push(...zone.cidrs);
      else if (ZONE_NAME.test(entry)) problems.push(`${at}[${i}]: unknown zone "${entry}"${didYouMean(entry, zones.keys())}`);
      else problems.push(`${at}[${i}]: ${parsed}`);
    });
    return addressList(cidrs);
  };

  const trustedProxies = list('network.trustedProxies', config.trustedProxies);
  for (const cidr of trustedProxies.cidrs) {
    if (cidr.prefix === 0) {
      problems.push(
        `network.trustedProxies: ${cidr.text} would let every peer choose its own address through X-Forwarded-For; list only your proxies' addresses`,
      );
    }
  }
  const perKey = (section: 'clients' | 'scopes') =>
    new Map(Object.entries(config[section]).map(([key, entries]) => [key, list(path(section, key), entries)]));

  return {
    trustedProxies,
    allow: list('network.allow', config.allow),
    zones,
    clients: perKey('clients'),
    scopes: perKey('scopes'),
    zoneOf(address) {
      let best: { name: string; prefix: number } | undefined;
      for (const [name, zone] of zones) {
        for (const cidr of zone.cidrs) {
          if (cidrContains(cidr, address) && (best === undefined || cidr.prefix > best.prefix)) best = { name, prefix: cidr.prefix };
        }
      }
      return best?.name;
    },
  };
}

function addressList(cidrs: readonly Cidr[]): AddressList {
  return { cidrs, contains: (address) => cidrs.some((cidr) => cidrContains(cidr, address)) };
}

/** `network.scopes."customers:read"`: keys that are not plain words are quoted so the path stays unambiguous. */
function path(section: string, key: string): string {
  return `network.${section}.${/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key)}`;
}
