// Strict IP address parsing: canonical textual forms only, IPv4-mapped IPv6 normalised to IPv4.
//
// ipaddr.js does the arithmetic, but its parser is as lenient as inet_aton: it reads `010.0.0.1`
// as 8.0.0.1, `167772161` and `0x0a.0.0.1` as 10.0.0.1, `1.2.3` as 1.2.0.3, accepts zone ids and
// an octal dotted tail inside IPv6, and turns `::10.0.0.1` into `::ffff:10.0.0.1`. An allowlist
// that reinterprets such strings can be walked around, so every string is first checked against
// the RFC 3986 / RFC 4291 grammar here and only then handed to ipaddr.js.
import { isIPv6 } from 'node:net';
import ipaddr from 'ipaddr.js';

export interface IpAddress {
  readonly kind: 'ipv4' | 'ipv6';
  /** Canonical text: dotted quad, or RFC 5952 for IPv6. Two equal addresses have equal text. */
  readonly text: string;
  readonly value: ipaddr.IPv4 | ipaddr.IPv6;
}

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
/** Exactly four decimal octets, no leading zeros (which inet_aton would read as octal). */
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
/** Hex groups and colons only: no zone id, brackets, port, whitespace or prefix. */
const IPV6_HEX = /^[0-9A-Fa-f:]+$/;
/** The longest textual IPv6 address (with a dotted tail) has 45 characters. */
const MAX_LENGTH = 45;

/**
 * Parses a canonical address, or returns undefined. Accepted: dotted-quad IPv4 without leading
 * zeros; IPv6 in any RFC 4291 spelling (case and `::` compression are free, so `2001:DB8::1` and
 * `2001:db8:0:0::1` are the same address), with an optional dotted-quad tail. Everything else —
 * other IPv4 spellings, ports, brackets, zone ids, whitespace — is refused, never reinterpreted.
 */
export function parseAddress(text: string): IpAddress | undefined {
  const parsed = parseStrict(text);
  if (parsed === undefined) return undefined;
  if (parsed instanceof ipaddr.IPv6 && parsed.isIPv4MappedAddress()) return fromValue(parsed.toIPv4Address());
  return fromValue(parsed);
}

/**
 * The socket's peer address. The kernel, not the caller, wrote it, so a link-local zone id
 * (`fe80::1%eth0`) is dropped rather than refused; everything else is as strict as parseAddress.
 */
export function parsePeerAddress(remoteAddress: string | undefined): IpAddress | undefined {
  if (remoteAddress === undefined) return undefined;
  const percent = remoteAddress.indexOf('%');
  return parseAddress(percent >= 0 && remoteAddress.includes(':') ? remoteAddress.slice(0, percent) : remoteAddress);
}

/** Grammar check, then ipaddr.js; keeps IPv4-mapped IPv6 as IPv6 (CIDR parsing needs to see it). */
export function parseStrict(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (text.length === 0 || text.length > MAX_LENGTH) return undefined;
  if (IPV4.test(text)) return ipaddr.IPv4.parse(text);
  if (!text.includes(':')) return undefined;
  let hex = text;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    // Rewrite the dotted tail as two hex groups ourselves, so it is held to the IPv4 grammar and
    // its value is exactly the 32 bits written (ipaddr.js would map `::1.2.3.4` to ::ffff:1.2.3.4).
    if (!IPV4.test(tail)) return undefined;
    const [a, b, c, d] = tail.split('.').map(Number) as [number, number, number, number];
    hex = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  // Two independent grammars must agree: Node's (RFC 4291) and ipaddr.js's.
  if (!IPV6_HEX.test(hex) || !isIPv6(hex) || !ipaddr.IPv6.isValid(hex)) return undefined;
  return ipaddr.IPv6.parse(hex);
}

export function fromValue(value: ipaddr.IPv4 | ipaddr.IPv6): IpAddress {
  return value instanceof ipaddr.IPv4
    ? { kind: 'ipv4', text: value.toString(), value }
    : { kind: 'ipv6', text: value.toRFC5952String(), value };
}
