// CIDR blocks: strict parsing (canonical address, decimal prefix, no host bits) and membership.
import ipaddr from 'ipaddr.js';
import { fromValue, parseStrict, type IpAddress } from './ip-address.js';

export interface Cidr {
  readonly kind: 'ipv4' | 'ipv6';
  readonly network: ipaddr.IPv4 | ipaddr.IPv6;
  readonly prefix: number;
  /** Canonical text, e.g. `10.0.0.0/8`, `2001:db8::/32`. */
  readonly text: string;
}

const PREFIX = /^(?:0|[1-9][0-9]{0,2})$/;

/** A CIDR (`10.0.0.0/8`) or a bare address (a /32 or /128); a string saying what is wrong otherwise. */
export function parseCidr(text: string): Cidr | string {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
  const value = parseStrict(addressText);
  if (value === undefined) return `"${text}" is not a canonical address or CIDR (e.g. 10.0.0.0/8, 2001:db8::/32)`;
  if (value instanceof ipaddr.IPv6 && value.isIPv4MappedAddress()) {
    return `"${text}" is an IPv4-mapped IPv6 range: write it as IPv4 (addresses are normalised to IPv4 before matching)`;
  }
  const kind = value.kind();
  const max = kind === 'ipv4' ? 32 : 128;
  if (prefixText !== undefined && !PREFIX.test(prefixText)) return `"${text}" has an invalid prefix length`;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return `"${text}" has a prefix length above ${max}`;
  const network = kind === 'ipv4'
    ? ipaddr.IPv4.networkAddressFromCIDR(`${value.toString()}/${prefix}`)
    : ipaddr.IPv6.networkAddressFromCIDR(`${value.toString()}/${prefix}`);
  const canonicalNetwork = fromValue(network).text;
  if (canonicalNetwork !== fromValue(value).text) {
    // A typo more often than intent (10.1.2.3/8 for 10.0.0.0/8): refuse and show the block it would mean.
    return `"${text}" has host bits set; did you mean ${canonicalNetwork}/${prefix}?`;
  }
  return { kind, network, prefix, text: `${canonicalNetwork}/${prefix}` };
}

export function cidrContains(cidr: Cidr, address: IpAddress): boolean {
  if (cidr.kind !== address.kind) return false;
  // Same kind checked above; ipaddr.js's overloads cannot see that.
  return (address.value as ipaddr.IPv4).match(cidr.network as ipaddr.IPv4, cidr.prefix);
}
