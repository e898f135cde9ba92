// Per-client and per-scope source allowlists: pure, evaluated after authentication in the authorize step.
import type { ClientAddress, Principal } from '../auth/principal.js';
import { IpNotAllowedError } from '../errors/app-error.js';
import { parseAddress } from './ip-address.js';
import type { NetworkPolicy } from './network-policy.js';

const MESSAGE = 'this client may not call from this address';

/**
 * Lists restrict, they never grant: an address must also pass the global allowlist first.
 * - `network.clients[clientId]`: a token whose client id has a list is accepted only from it.
 * - `network.scopes[scope]`: a token holding a scope that has a list is accepted only from that
 *   list — for every such scope it holds, whichever scope the operation needs. A token that mixes
 *   an on-prem-only scope with others is therefore on-prem-only; issue separate tokens instead.
 * - Client ids and scopes without a list are not restricted here.
 * An unknown client address denies. The error's `cause` names the list that denied
 * (`network.scopes.audit:read`), for the audit log; the response does not.
 */
export function checkPrincipalAddress(
  network: NetworkPolicy,
  client: ClientAddress | undefined,
  principal: Pick<Principal, 'clientId' | 'scopes'>,
): IpNotAllowedError | undefined {
  const address = client === undefined ? undefined : parseAddress(client.ip);
  if (address === undefined) return new IpNotAllowedError(MESSAGE, { cause: 'client address unknown', deniedBy: 'network' });
  if (principal.clientId !== undefined) {
    const list = network.clients.get(principal.clientId);
    if (list && !list.contains(address)) {
      const deniedBy = `network.clients.${principal.clientId}`;
      return new IpNotAllowedError(MESSAGE, { cause: deniedBy, deniedBy });
    }
  }
  for (const scope of [...principal.scopes].sort()) {
    const list = network.scopes.get(scope);
    if (list && !list.contains(address)) {
      const deniedBy = `network.scopes.${scope}`;
      return new IpNotAllowedError(MESSAGE, { cause: deniedBy, deniedBy });
    }
  }
  return undefined;
}
