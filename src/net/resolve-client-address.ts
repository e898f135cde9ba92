// Who is really calling: the socket peer, or — behind trusted proxies only — the X-Forwarded-For entry they vouch for.
import type { ClientAddress } from '../auth/principal.js';
import { parseAddress, parsePeerAddress, type IpAddress } from './ip-address.js';
import type { NetworkPolicy } from './network-policy.js';

export type ResolvedClient =
  | { readonly ok: true; readonly client: ClientAddress; readonly address: IpAddress }
  | { readonly ok: false; readonly forwardedFor: readonly string[]; readonly reason: string };

/**
 * The client is the socket peer unless the peer is a trusted proxy. Then X-Forwarded-For is
 * walked from the right (the entry the nearest proxy appended) past trusted hops, and the first
 * untrusted entry is the client; if every entry is trusted, the leftmost one is. Entries left of
 * the client were written by the client itself and are never believed. Any entry the walk has to
 * read that is not a canonical address denies the request: skipping it would let a forged entry
 * pick which address is checked.
 *
 * `forwardedFor` is the header as received (several headers joined in order, which Node does),
 * split on commas; it is recorded even when the peer is untrusted and it was ignored.
 */
export function resolveClientAddress(
  network: NetworkPolicy,
  peer: string | undefined,
  forwardedForHeader: string | undefined,
): ResolvedClient {
  const forwardedFor = splitForwardedFor(forwardedForHeader);
  const peerAddress = parsePeerAddress(peer);
  if (peerAddress === undefined) return { ok: false, forwardedFor, reason: 'the peer address is unknown or not canonical' };

  let client = peerAddress;
  if (network.trustedProxies.contains(peerAddress)) {
    for (let i = forwardedFor.length - 1; i >= 0; i--) {
      const hop = parseAddress(forwardedFor[i] as string);
      if (hop === undefined) {
        return { ok: false, forwardedFor, reason: `X-Forwarded-For entry ${forwardedFor.length - i} from the right is not a canonical address` };
      }
      client = hop;
      if (!network.trustedProxies.contains(hop)) break;
    }
  }
  return { ok: true, address: client, client: { ip: client.text, forwardedFor, zone: network.zoneOf(client) } };
}

/** Comma-separated, with optional spaces or tabs around each entry (RFC 9110 list syntax). */
function splitForwardedFor(header: string | undefined): string[] {
  if (header === undefined) return [];
  return header.split(',').map((entry) => entry.replace(/^[ \t]+|[ \t]+$/g, ''));
}
