// Pipeline step 5: method + path → the spec's Operation; 405 with Allow for a known path and another method.
import type { RequestHandler } from 'express';
import { MethodNotAllowedError } from '../../errors/app-error.js';
import type { OperationIndex } from '../../openapi/operation-index.js';
import { contextOf } from '../context.js';

export function routeOperation(index: OperationIndex): RequestHandler {
  return (req, _res, next) => {
    const match = index.match(req.method, req.path);
    if (match.kind === 'none') return next('router');
    if (match.kind === 'method-not-allowed') return next(new MethodNotAllowedError(match.allowed));
    const ctx = contextOf(req);
    ctx.operation = match.operation;
    ctx.params = match.params;
    next();
  };
}
