// /openapi.json (the contract plus the gateway's own endpoints) and /docs (Swagger UI, served locally).
import { createRequire } from 'node:module';
import path from 'node:path';
import express, { Router } from 'express';
import { AUDIT_OPENAPI_PATHS } from './audit-openapi.js';

const require = createRequire(import.meta.url);
const swaggerUiDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));

const GATEWAY_PATHS = {
  '/healthz': {
    get: {
      operationId: 'gatehouseHealth',
      tags: ['gatehouse'],
      summary: 'Liveness: the process is running',
      security: [],
      responses: { '200': { description: 'alive' } },
    },
  },
  '/readyz': {
    get: {
      operationId: 'gatehouseReady',
      tags: ['gatehouse'],
      summary: 'Readiness: every data source answers and the contract is loaded',
      security: [],
      responses: { '200': { description: 'ready' }, '503': { description: 'not ready, with reasons' } },
    },
  },
  ...AUDIT_OPENAPI_PATHS,
};

/**
 * The served document: the contract with the gateway's own endpoints added, and without the bindings
 * (`x-gatehouse`, `x-gatehouse-column`): table and column names of the database are not the callers' business.
 */
export function publishedDocument(document: Record<string, unknown>): Record<string, unknown> {
  const stripped = stripBindings(document) as Record<string, unknown>;
  const paths = { ...(stripped.paths as Record<string, unknown> | undefined), ...GATEWAY_PATHS };
  return { ...stripped, paths };
}

const PRIVATE_EXTENSIONS = new Set(['x-gatehouse', 'x-gatehouse-column']);

function stripBindings(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripBindings);
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k]) => !PRIVATE_EXTENSIONS.has(k))
      .map(([k, v]) => [k, stripBindings(v)]),
  );
}

const INDEX_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Gatehouse API</title>
<link rel="stylesheet" href="./swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="./swagger-ui-bundle.js"></script><script src="./init.js"></script></body></html>`;

const INIT_JS = `window.ui = SwaggerUIBundle({ url: '../openapi.json', dom_id: '#swagger-ui', deepLinking: true });`;

export function docsRoutes(document: Record<string, unknown>): Router {
  const router = Router();
  const body = JSON.stringify(publishedDocument(document));
  router.get('/openapi.json', (req, res, next) => {
    // ?scoped=true is answered after authentication, with the document trimmed to the caller's rights.
    if (new URLSearchParams(req.originalUrl.split('?')[1] ?? '').get('scoped') === 'true') return next();
    res.type('application/json').send(body);
  });
  router.get('/docs', (req, res, next) => (req.path.endsWith('/') ? next() : res.redirect(301, '/docs/')));
  router.get('/docs/', (_req, res) => {
    res
      .set('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'")
      .type('html')
      .send(INDEX_HTML);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(INIT_JS);
  });
  router.use('/docs', express.static(swaggerUiDir, { index: false, fallthrough: true }));
  return router;
}
