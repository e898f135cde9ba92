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
import { AUDIT_BASE, auditRoutes } from './http/routes/audit.js';
import type { TokenVerifier } from './auth/token-verifier.js';
import { authenticate } from './http/middleware/authenticate.js';
import { authorize } from './http/middleware/authorize.js';
import { admitByAddress } from './http/admit-caller.js';
import { clientAddress } from './http/middleware/client-address.js';
import { securityHeaders } from './http/security-headers.js';
import { coarseRateLimit, principalRateLimit } from './http/middleware/rate-limit.js';
import { scopedDocumentRoute } from './http/routes/scoped-document.js';
import { checkPrincipalAddress } from './net/check-principal-address.js';
import type { NetworkPolicy } from './net/network-policy.js';
import type { CompiledPolicy } from './policy/compile-policies.js';
import type { RateLimitStores } from './ratelimit/rate-limit-stores.js';

/** The security stages' dependencies. Without a verifier and policy, authentication is off (loopback only). */
export interface Security {
  readonly network: NetworkPolicy;
  readonly rateLimitStores: RateLimitStores;
  readonly verifier?: TokenVerifier;
  readonly policy?: CompiledPolicy;
}

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
  readonly security: Security;
  /** Seals keyset cursors (see query/cursor.ts). */
  readonly cursorKey: Buffer;
}

export function buildApp(deps: AppDeps): Express {
  const { config, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false);

  // 1. context: request id, timing, AsyncLocalStorage scope.
  app.use(requestContext());
  app.use(securityHeaders());
  app.use(requestLog(logger, config.log.requests));
  // 12. audit: installed here so that every request, however it ends, yields its event.
  if (deps.auditor) app.use(auditRequests(app, deps.auditor));
  app.use(requestTimeout(config.server.requestTimeoutMs));
  // Probes come from the kubelet, whose address is rarely in the allowlist; they reveal nothing.
  app.use(healthRoutes(deps.sources, deps.readiness ?? { checks: [] }));

  const { security } = deps;
  // 2. client address through trusted proxies only; global source allowlist.
  app.use(clientAddress(security.network));
  // 3. coarse rate limit by address: protects token verification.
  app.use(coarseRateLimit(config.rateLimit, security.rateLimitStores));
  if (!security.verifier) app.use(admitByAddress());
  app.use(docsRoutes(deps.document));
  // 4. authenticate: Bearer JWT → Principal (401 otherwise).
  if (security.verifier) app.use(authenticate(security.verifier, config.auth));
  if (security.policy) app.use(scopedDocumentRoute(deps.document, deps.operations.operations, security.policy));
  // The auditor API (scope audit:read); its own requests are audited like any other.
  if (deps.auditor) {
    app.use(AUDIT_BASE, principalRateLimit(config.rateLimit, security.rateLimitStores, 'audit'));
    app.use(AUDIT_BASE, auditRoutes(deps.auditor));
  }

  const data = Router();
  // 5. route: method + path → the spec's Operation.
  data.use(routeOperation(deps.operations));
  // 6. authorize: required scopes, per-client / per-scope source lists, access rules → Decision.
  if (security.policy) {
    const network = security.network;
    data.use(authorize(security.policy, [(ctx, principal) => checkPrincipalAddress(network, ctx.client, principal)]));
  }
  // 7. per-principal rate limit, by operation class.
  data.use(principalRateLimit(config.rateLimit, security.rateLimitStores));
  data.use(parseJsonBody(config.server.bodyLimitBytes));
  // 8–11. validate → plan → execute → respond.
  data.use(
    crudHandler({
      sources: deps.sources,
      validators: deps.validators,
      limits: config.limits,
      maskKey: config.policies.maskKey,
      cursorKey: deps.cursorKey,
    }),
  );
  app.use(data);

  app.use(notFound());
  app.use(errorHandler(logger, bytes.format(config.server.bodyLimitBytes) ?? `${config.server.bodyLimitBytes}B`));
  return app;
}
