// GET /openapi.json?scoped=true: the contract trimmed to what the authenticated caller may do.
import { Router } from 'express';
import type { Operation } from '../../openapi/resource.js';
import { scopeDocument } from '../../openapi/scope-document.js';
import type { CompiledPolicy } from '../../policy/compile-policies.js';
import { contextOf } from '../context.js';
import { publishedDocument } from './docs.js';

export function scopedDocumentRoute(
  document: Record<string, unknown>,
  operations: readonly Operation[],
  policy: CompiledPolicy,
): Router {
  const router = Router();
  router.get('/openapi.json', (req, res, next) => {
    const principal = contextOf(req).principal;
    if (!principal) return next();
    const scoped = scopeDocument(document, operations, policy, principal);
    res.type('application/json').send(JSON.stringify(publishedDocument(scoped, { classifications: true })));
  });
  return router;
}
