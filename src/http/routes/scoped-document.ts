// GET /openapi.json?scoped=true: the contract trimmed to what the authenticated caller may do.
import { Router } from 'express';
import type { Operation } from '../../openapi/resource.js';
import { maskedFor, scopeDocument } from '../../openapi/scope-document.js';
import type { CompiledPolicy } from '../../policy/compile-policies.js';
import type { GatewayRoute } from '../../pipeline/authorize.js';
import type { Authenticated } from '../../pipeline/exchange.js';
import { principalOf } from '../../pipeline/exchange.js';
import type { Principal } from '../../auth/principal.js';
import { ownRequest } from '../own-request.js';
import { publishedDocument } from './docs.js';

export const SCOPED_CONTRACT_ROUTE: GatewayRoute = { template: '/openapi.json', operationId: 'gatehouseScopedContract', scope: undefined };

/**
 * An anonymous request falls through to the public document. A principal goes through the same admission as every
 * other principal route (per-client and per-scope source allowlists) before it sees what it may do.
 */
export function scopedDocumentRoute(
  document: Record<string, unknown>,
  operations: readonly Operation[],
  policy: CompiledPolicy,
  admit: (x: Authenticated, route: GatewayRoute) => Principal,
): Router {
  const router = Router();
  router.get('/openapi.json', (req, res, next) => {
    const state = ownRequest(res);
    if (!principalOf(state.reached)) return next();
    state.reached.audit?.setRoute(SCOPED_CONTRACT_ROUTE.template, SCOPED_CONTRACT_ROUTE.operationId);
    const principal = admit(state.reached as Authenticated, SCOPED_CONTRACT_ROUTE);
    const scoped = scopeDocument(document, operations, policy, principal);
    const masks = maskedFor(operations, policy, principal);
    res.type('application/json').send(JSON.stringify(publishedDocument(scoped, { classifications: true, operations, masks })));
  });
  return router;
}
