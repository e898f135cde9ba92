// /openapi.json (the contract plus the gateway's own endpoints) and /docs (Swagger UI, served locally).
import { createRequire } from 'node:module';
import path from 'node:path';
import { Router } from 'express';
import type { Operation } from '../../openapi/resource.js';
import { describeAnswers, type MaskedProperties } from '../../openapi/served-answers.js';
import { gatewayPaths } from './gateway-openapi.js';

const require = createRequire(import.meta.url);
const swaggerUiDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));

/**
 * The served document: the contract with the gateway's own endpoints added, every answer described as the gateway
 * gives it (served-answers.ts), and without the bindings (`x-gatehouse`, `x-gatehouse-column`): table and column
 * names of the database are not the callers' business.
 */
export function publishedDocument(document: Record<string, unknown>, options: PublishOptions): Record<string, unknown> {
  const hidden = options.classifications ? PRIVATE_EXTENSIONS : [...PRIVATE_EXTENSIONS, CLASSIFICATION];
  const stripped = strip(document, new Set(hidden)) as Record<string, unknown>;
  const described = describeAnswers(stripped, options.operations, options.masks);
  const paths = { ...(described.paths as Record<string, unknown> | undefined), ...gatewayPaths() };
  return { ...described, paths };
}

export interface PublishOptions {
  /**
   * Whether `x-gatehouse-classification` (pii, confidential, …) stays. Which columns hold personal or confidential
   * data is itself worth knowing to an attacker: the public document drops it; the scoped one (an authenticated
   * caller's own contract) keeps it for the properties that caller may read, who must handle them accordingly.
   */
  readonly classifications: boolean;
  /** The data operations, whose answers are described as served. */
  readonly operations: readonly Operation[];
  /** Properties masked in answers, per entity schema (for whom the document is). */
  readonly masks: MaskedProperties;
}

const PRIVATE_EXTENSIONS = ['x-gatehouse', 'x-gatehouse-column'];
const CLASSIFICATION = 'x-gatehouse-classification';

function strip(node: unknown, hidden: ReadonlySet<string>): unknown {
  if (Array.isArray(node)) return node.map((n) => strip(n, hidden));
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k]) => !hidden.has(k))
      .map(([k, v]) => [k, strip(v, hidden)]),
  );
}

const INDEX_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Gatehouse API</title>
<link rel="stylesheet" href="./swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="./swagger-ui-bundle.js"></script><script src="./init.js"></script></body></html>`;

const INIT_JS = `window.ui = SwaggerUIBundle({ url: '../openapi.json', dom_id: '#swagger-ui', deepLinking: true });`;

/** What the page loads, and nothing else of the swagger-ui-dist folder (its package.json, sources, maps, …). */
const SWAGGER_FILES: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
};

/** The page may load only its own files (plus inline styles Swagger UI sets) and may not be framed: no clickjacking. */
const DOCS_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export function docsRoutes(document: Record<string, unknown>, operations: readonly Operation[], masks: MaskedProperties): Router {
  const router = Router();
  // Built on the first request, then kept: on a 1,000-table contract it takes most of a second and 11 MB, which no
  // start-up should pay for a document few callers ask for. Kept as UTF-8 bytes (a JS string of it would be twice the
  // size as soon as the contract holds one character beyond Latin-1).
  let body: Buffer | undefined;
  router.get('/openapi.json', (req, res, next) => {
    // ?scoped=true is answered after authentication, with the document trimmed to the caller's rights.
    if (new URLSearchParams(req.originalUrl.split('?')[1] ?? '').get('scoped') === 'true') return next();
    body ??= Buffer.from(JSON.stringify(publishedDocument(document, { classifications: false, operations, masks })));
    res.type('application/json; charset=utf-8').send(body);
  });
  router.use('/docs', (_req, res, next) => {
    res.set({ 'Content-Security-Policy': DOCS_CSP, 'X-Frame-Options': 'DENY' });
    next();
  });
  router.get('/docs', (req, res, next) => (req.path.endsWith('/') ? next() : res.redirect(301, '/docs/')));
  router.get('/docs/', (_req, res) => {
    res.type('html').send(INDEX_HTML);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(INIT_JS);
  });
  for (const [file, type] of Object.entries(SWAGGER_FILES)) {
    router.get(`/docs/${file}`, (_req, res, next) => {
      res.sendFile(path.join(swaggerUiDir, file), { headers: { 'Content-Type': type, 'Cache-Control': 'public, max-age=3600' } }, (err) => {
        if (err) next(err);
      });
    });
  }
  return router;
}
