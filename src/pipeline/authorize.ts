// Stage 6: may this caller do this? The operation's scopes, per-client / per-scope source allowlists, access rules.
// Data operations get a Decision (what the caller may see, write, touch); the gateway's own endpoints (auditor API,
// reports, scoped contract) go through the same admission: a token, its scope, and where it may call from.
import type { Principal } from '../auth/principal.js';
import { ForbiddenError, UnauthenticatedError } from '../errors/app-error.js';
import { checkPrincipalAddress } from '../net/check-principal-address.js';
import type { NetworkPolicy } from '../net/network-policy.js';
import type { Resource } from '../openapi/resource.js';
import type { CompiledPolicy } from '../policy/compile-policies.js';
import { allowEverything, type Decision } from '../policy/decision.js';
import { evaluatePolicy } from '../policy/evaluate.js';
import { missingToken } from '../auth/unauthenticated.js';
import { settleRequestId } from '../http/request-id.js';
import { isAnonymous, type Authenticated, type Authorized, type Incoming, type Routed } from './exchange.js';

/** A gateway endpoint that needs a principal: its scope, and its route and id for the audit log. */
export interface GatewayRoute {
  readonly template: string;
  readonly operationId: string;
  /** The scope the caller must hold; undefined: any authenticated principal. */
  readonly scope: string | undefined;
}

export function authorizeStage(network: NetworkPolicy, policy: CompiledPolicy | undefined): (x: Routed) => Authorized {
  // With authentication off there are no rules: the contract is the policy (one Decision per resource).
  const open = new Map<Resource, Decision>();
  return (x) => {
    const caller = x.caller;
    if (isAnonymous(caller)) {
      if (!caller.authDisabled || policy !== undefined) throw missingToken();
      const resource = x.operation.resource;
      let decision = open.get(resource);
      if (decision === undefined) {
        decision = allowEverything(resource);
        open.set(resource, decision);
      }
      return admitted({ ...x, decision });
    }
    admitAddress(network, x, caller);
    if (policy === undefined) throw missingToken();
    const evaluation = evaluatePolicy(policy, caller, x.operation);
    if (!evaluation.allowed) {
      const e = evaluation.error;
      e.deniedBy ??= evaluation.rule ?? e.code;
      throw e;
    }
    return admitted({ ...x, decision: evaluation.decision });
  };
}

/**
 * The caller passed every check its route needs: from here on its own X-Request-Id, when it sent a well-formed one,
 * is the request's id (in the answer, the log line and the audit event). The header entry is replaced in place, so
 * what later stages append to the list, and what a door has already written of it, stay where they are.
 */
export function admitted<X extends Incoming>(x: X): X {
  const ids = settleRequestId(x.id, x.clientRequestId, true);
  if (ids.requestId === x.id) return x;
  const at = x.replyHeaders.findIndex(([name]) => name === 'X-Request-Id');
  if (at >= 0) x.replyHeaders[at] = ['X-Request-Id', ids.requestId];
  return { ...x, id: ids.requestId, clientRequestId: ids.clientRequestId };
}

/**
 * The gateway's own endpoints: 401 until a request carries a verified principal (403 is for a caller who is known
 * and lacks the scope), then the per-client and per-scope source allowlists exactly as for data operations.
 */
export function admitStage(network: NetworkPolicy): (x: Authenticated, route: GatewayRoute) => Principal {
  return (x, route) => {
    const caller = x.caller;
    if (isAnonymous(caller)) {
      const scope = route.scope ?? '';
      throw new UnauthenticatedError('unauthenticated', `a bearer token${scope ? ` with scope ${scope}` : ''} is required`, `Bearer scope="${scope}"`);
    }
    if (route.scope !== undefined && !caller.scopes.has(route.scope)) {
      throw new ForbiddenError('insufficient_scope', `${route.operationId} needs scope ${route.scope}`, { deniedBy: 'insufficient_scope' });
    }
    admitAddress(network, x, caller);
    return caller;
  };
}

function admitAddress(network: NetworkPolicy, x: Authenticated, principal: Principal): void {
  const error = checkPrincipalAddress(network, x.client, principal);
  if (error) throw error;
}
