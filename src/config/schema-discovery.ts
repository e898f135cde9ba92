// The `discovery:` section (publishing the gateway's name in DNS): JSON Schema, the checks it cannot say, normalising.
import { isIP } from 'node:net';
import type { DiscoveryConfig, DnsServerConfig } from './types.js';

const DOMAIN_NAME = '^(?=.{1,254}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\\.)*[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\\.?$';
const BASE64 = '^[A-Za-z0-9+/]+={0,2}$';
/** `host`, `host:port`, `[v6]:port` or a bare IPv6 address. */
const serverString = { type: 'string', minLength: 1, maxLength: 300 } as const;

export const discoveryJsonSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    /** none: the gateway publishes nothing (the Service, or ExternalDNS, may). rfc2136: DNS UPDATE signed with TSIG. */
    registrar: { enum: ['none', 'rfc2136'], default: 'none' },
    /** The name cloud callers use, inside rfc2136.zone. */
    name: { type: 'string', pattern: DOMAIN_NAME },
    /** The addresses published for it (A / AAAA); absent: this host's non-loopback interface addresses, re-read on every refresh. */
    addresses: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1, maxLength: 64 } },
    /** The port in the SRV record; default: the port the server listens on. */
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    ttl: { type: 'integer', minimum: 1, maximum: 86_400, default: 60 },
    refreshSeconds: { type: 'integer', minimum: 1, maximum: 86_400, default: 30 },
    /** Names this replica's records (its TXT claim); default: host name and port. Keep it unique per replica. */
    instanceId: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[^\\s,=]+$' },
    /** The on-prem DNS servers the cloud side forwards the zone to (`gatehouse dns cloud-config`); default: rfc2136.server. */
    resolvers: { type: 'array', minItems: 1, items: serverString },
    rfc2136: {
      type: 'object',
      additionalProperties: false,
      required: ['server', 'zone', 'tsig'],
      properties: {
        /** The zone's primary, which accepts the updates. */
        server: serverString,
        zone: { type: 'string', pattern: DOMAIN_NAME },
        tsig: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'secret'],
          properties: {
            name: { type: 'string', pattern: DOMAIN_NAME },
            algorithm: {
              enum: ['hmac-sha256', 'hmac-sha384', 'hmac-sha512', 'hmac-sha224', 'hmac-sha1', 'hmac-md5'],
              default: 'hmac-sha256',
            },
            /** Base64, as `tsig-keygen` prints it; by reference: ${file:/run/secrets/tsig}. */
            secret: { type: 'string', minLength: 4, pattern: BASE64 },
          },
        },
        /** Per exchange with the server (UDP, then TCP when the answer is truncated). */
        timeoutMs: { type: 'integer', minimum: 50, maximum: 60_000, default: 2000 },
        /** Tries per request when the server does not answer or answers SERVFAIL. */
        attempts: { type: 'integer', minimum: 1, maximum: 10, default: 3 },
        backoffMs: { type: 'integer', minimum: 0, maximum: 60_000, default: 250 },
      },
    },
  },
} as const;

/** `host:port` → parts; undefined when it is not one. IPv6 addresses go in brackets when a port follows. */
export function parseServerAddress(text: string): DnsServerConfig | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return withPort(bracketed[1] as string, bracketed[2], true);
  if (isIP(text) === 6) return { host: text, port: 53 };
  const [host, port, ...rest] = text.split(':');
  if (rest.length > 0 || host === undefined || host === '') return undefined;
  return withPort(host, port, false);
}

function withPort(host: string, port: string | undefined, mustBeV6: boolean): DnsServerConfig | undefined {
  if (mustBeV6 && isIP(host) !== 6) return undefined;
  if (!mustBeV6 && isIP(host) === 0 && !new RegExp(DOMAIN_NAME).test(host)) return undefined;
  const n = port === undefined ? 53 : Number(port);
  if (!Number.isInteger(n) || n < 1 || n > 65535) return undefined;
  return { host, port: n };
}

export function fqdn(name: string): string {
  return name.toLowerCase().endsWith('.') ? name.toLowerCase() : `${name.toLowerCase()}.`;
}

/** The section as the schema let it through (server strings not yet parsed). */
interface RawDiscovery {
  readonly registrar: 'none' | 'rfc2136';
  readonly name?: string;
  readonly addresses?: readonly string[];
  readonly resolvers?: readonly string[];
  readonly rfc2136?: { readonly server: string; readonly zone: string };
}

/** What JSON Schema cannot check: the keys rfc2136 needs, addresses, servers, the name inside the zone. */
export function discoveryConfigProblems(raw: RawDiscovery): string[] {
  const problems: string[] = [];
  if (raw.registrar === 'rfc2136') {
    if (raw.name === undefined) problems.push('discovery.name: is required with registrar rfc2136');
    if (raw.rfc2136 === undefined) problems.push('discovery.rfc2136: is required with registrar rfc2136 (server, zone, tsig)');
  }
  raw.addresses?.forEach((address, i) => {
    if (isIP(address) === 0) problems.push(`discovery.addresses[${i}]: "${address}" is not an IPv4 or IPv6 address`);
  });
  raw.resolvers?.forEach((server, i) => {
    if (!parseServerAddress(server)) problems.push(`discovery.resolvers[${i}]: "${server}" is not host:port`);
  });
  if (raw.rfc2136) {
    if (!parseServerAddress(raw.rfc2136.server)) {
      problems.push(`discovery.rfc2136.server: "${raw.rfc2136.server}" is not host:port (IPv6: [address]:port)`);
    }
    const zone = fqdn(raw.rfc2136.zone);
    if (raw.name !== undefined && !fqdn(raw.name).endsWith(`.${zone}`) && fqdn(raw.name) !== zone) {
      problems.push(`discovery.name: ${fqdn(raw.name)} is not inside discovery.rfc2136.zone ${zone}`);
    }
  }
  return problems;
}

/** Names fully qualified and lower-case, servers parsed: what the registrar and `gatehouse dns` receive. */
export function normaliseDiscovery(raw: RawDiscovery): DiscoveryConfig {
  const section = raw as unknown as Record<string, unknown>;
  const rfc2136 = raw.rfc2136 as (RawDiscovery['rfc2136'] & { tsig: { name: string } }) | undefined;
  return {
    ...section,
    ...(raw.name === undefined ? {} : { name: fqdn(raw.name) }),
    ...(raw.resolvers === undefined ? {} : { resolvers: raw.resolvers.map((s) => parseServerAddress(s) as DnsServerConfig) }),
    ...(rfc2136 === undefined
      ? {}
      : {
          rfc2136: {
            ...rfc2136,
            server: parseServerAddress(rfc2136.server) as DnsServerConfig,
            zone: fqdn(rfc2136.zone),
            tsig: { ...rfc2136.tsig, name: fqdn(rfc2136.tsig.name) },
          },
        }),
  } as DiscoveryConfig;
}
