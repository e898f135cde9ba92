// Stage 5: method + path → the contract's operation (404 / 405 with Allow otherwise). The match itself is made once,
// by whichever door received the request (it needs it to know the request is a data operation at all).
import { MethodNotAllowedError, NotFoundError } from '../errors/app-error.js';
import type { RouteMatch } from '../openapi/operation-index.js';
import type { Authenticated, Routed } from './exchange.js';

export function routeStage(): (x: Authenticated, match: RouteMatch) => Routed {
  return (x, match) => {
    if (match.kind === 'operation') return { ...x, operation: match.operation, params: match.params };
    if (match.kind === 'method-not-allowed') throw new MethodNotAllowedError(match.allowed);
    throw new NotFoundError('not_found', `no endpoint at ${x.path}`);
  };
}
