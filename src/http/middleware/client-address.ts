// Pipeline step 2: resolve the client address through trusted proxies only, record it, check the global allowlist.
import type { RequestHandler } from 'express';
import { IpNotAllowedError } from '../../errors/app-error.js';
import type { NetworkPolicy } from '../../net/network-policy.js';
import { resolveClientAddress } from '../../net/resolve-client-address.js';
import { contextOf } from '../context.js';

/**
 * Denies (403 ip_not_allowed) an unknown or non-canonical address and any address outside
 * `network.allow`. The resolved address is put on the request context before the allowlist is
 * checked, so a denied request is still logged and audited with where it came from.
 */
export function clientAddress(network: NetworkPolicy): RequestHandler {
  return (req, _res, next) => {
    const ctx = contextOf(req);
    // Node joins repeated X-Forwarded-For headers with ", " in arrival order; an array is joined the same way.
    const forwarded = req.headers['x-forwarded-for'];
    const header = Array.isArray(forwarded) ? forwarded.join(', ') : forwarded;
    const resolved = resolveClientAddress(network, req.socket.remoteAddress, header);
    if (!resolved.ok) {
      ctx.deniedBy = 'network';
      // The reason stays in `cause` (logs, audit): telling a prober which entry failed helps only the prober.
      next(new IpNotAllowedError(undefined, { cause: resolved.reason }));
      return;
    }
    ctx.client = resolved.client;
    if (!network.allow.contains(resolved.address)) {
      ctx.deniedBy = 'network.allow';
      next(new IpNotAllowedError(undefined, { cause: `${resolved.client.ip} is outside network.allow` }));
      return;
    }
    next();
  };
}
