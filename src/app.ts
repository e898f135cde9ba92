// buildApp: the whole request pipeline in one place. It never listens; main.ts and tests (supertest) do.
import express, { Router, type Express } from 'express';
import bytes from 'bytes';
import type { GatehouseConfig } from './config/types.js';
import type { DataSources } from './db/sources.js';
import { requestContext } from './http/middleware/request-context.js';
import { requestLog } from './http/middleware/request-log.js';
import { requestTimeout } from './http/middleware/request-timeout.js';
import { routeOperation } from './http/middleware/route-operation.js';
import { parseJsonBody } from './http/middleware/parse-body.js';
import { errorHandler, notFound } from './http/middleware/error-handler.js';
import { crudHandler } from './http/routes/crud.js';
import { docsRoutes } from './http/routes/docs.js';
import { healthRoutes, type Readiness } from './http/routes/health.js';
import type { OperationIndex } from './openapi/operation-index.js';
import type { ValidatorFactory } from './openapi/validators.js';
import type { Logger } from './observability/logger.js';
import type { Auditor } from './audit/auditor.js';
import { auditRequests } from './http/middleware/audit.js';
import { auditRoutes } from './http/routes/audit.js';

export interface AppDeps {
  readonly config: GatehouseConfig;
  readonly logger: Logger;
  readonly sources: DataSources;
  readonly document: Record<string, unknown>;
  readonly operations: OperationIndex;
  readonly validators: ValidatorFactory;
  readonly readiness?: Readiness;
  /** The audit log; absent: requests are not audited. */
  readonly auditor?: Auditor;
}

export function buildApp(deps: AppDeps): Express {
  const { config, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false);

  // 1. context: request id, timing, AsyncLocalStorage scope.
  app.use(requestContext());
  app.use(requestLog(logger, config.log.requests));
  // 12. audit: installed here so that every request, however it ends, yields its event.
  if (deps.auditor) app.use(auditRequests(deps.auditor));
  app.use(requestTimeout(config.server.requestTimeoutMs));
  // 2. client address and source allowlist — with the security issue.
  // 3. coarse rate limit by address — with the security issue.
  // 4. authenticate — with the security issue.

  app.use(healthRoutes(deps.sources, deps.readiness ?? { checks: [] }));
  app.use(docsRoutes(deps.document));
  // The auditor API (scope audit:read); its own requests are audited like any other.
  if (deps.auditor) app.use(auditRoutes(deps.auditor));

  const data = Router();
  // 5. route: method + path → the spec's Operation.
  data.use(routeOperation(deps.operations));
  // 6. authorize (policy → Decision) and 7. per-principal rate limit — with the security issue.
  data.use(parseJsonBody(config.server.bodyLimitBytes));
  // 8–11. validate → plan → execute → respond.
  data.use(crudHandler({ sources: deps.sources, validators: deps.validators, limits: config.limits }));
  app.use(data);

  app.use(notFound());
  app.use(errorHandler(logger, bytes.format(config.server.bodyLimitBytes) ?? `${config.server.bodyLimitBytes}B`));
  return app;
}
