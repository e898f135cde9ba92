// Stage 2: the client address, resolved through the configured trusted proxies only, then the global allowlist.
import { IpNotAllowedError } from '../errors/app-error.js';
import type { NetworkPolicy } from '../net/network-policy.js';
import { resolveClientAddress } from '../net/resolve-client-address.js';
import type { Addressed, Incoming } from './exchange.js';

/**
 * An unknown or non-canonical address (peer or X-Forwarded-For hop that must be read) denies: 403 ip_not_allowed.
 * The reason stays in the error's `cause` (logs, audit): telling a prober which entry failed helps only the prober.
 */
export function resolveAddressStage(network: NetworkPolicy): (x: Incoming) => Addressed {
  return (x) => {
    // Node joins repeated X-Forwarded-For headers with ", " in arrival order; an array is joined the same way.
    const forwarded = x.headers['x-forwarded-for'];
    const resolved = resolveClientAddress(network, x.peer, Array.isArray(forwarded) ? forwarded.join(', ') : forwarded);
    if (!resolved.ok) throw new IpNotAllowedError(undefined, { cause: resolved.reason, deniedBy: 'network' });
    return { ...x, client: resolved.client, address: resolved.address };
  };
}

/** A resolved address outside `network.allow` is refused; the request is still audited with where it came from. */
export function allowlistStage(network: NetworkPolicy): (x: Addressed) => void {
  return (x) => {
    if (!network.allow.contains(x.address)) {
      throw new IpNotAllowedError(undefined, { cause: `${x.client.ip} is outside network.allow`, deniedBy: 'network.allow' });
    }
  };
}
