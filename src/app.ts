// buildApp: the whole request pipeline in one place, and the two doors into it. It never listens; main.ts and tests do.
//
// Data operations (the contract's paths) run as a chain of typed stages, each a function from the previous stage's
// value to the next, knowing nothing of Express. The node:http door serves them directly (one write per answer) and
// hands every other request to the Express app; the Express app, which tests and extensions see, answers data
// operations through the very same chain. Express serves the gateway's own endpoints with the same stage functions.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express, { type Express, type RequestHandler } from 'express';
import type { Auditor } from './audit/auditor.js';
import type { TokenVerifier } from './auth/token-verifier.js';
import type { GatehouseConfig } from './config/types.js';
import type { DataSources } from './db/sources.js';
import { RequestTimeoutError } from './errors/app-error.js';
import { beginOwnRequest, ownRequest, stageMiddleware } from './http/own-request.js';
import { auditOwnRequests } from './http/own-audit.js';
import { ownErrorHandler, ownNotFound, ownRequestLog } from './http/own-errors.js';
import { AUDIT_BASE, auditRoutes } from './http/routes/audit.js';
import { REPORTS_BASE, reportRoutes } from './http/routes/reports.js';
import { docsRoutes } from './http/routes/docs.js';
import { healthRoutes, type Readiness } from './http/routes/health.js';
import { scopedDocumentRoute } from './http/routes/scoped-document.js';
import type { NetworkPolicy } from './net/network-policy.js';
import type { Logger } from './observability/logger.js';
import type { OperationIndex, RouteMatch } from './openapi/operation-index.js';
import type { ValidatorFactory } from './openapi/validators.js';
import { admitStage, authorizeStage, type GatewayRoute } from './pipeline/authorize.js';
import { allowlistStage, resolveAddressStage } from './pipeline/address.js';
import { authenticateStage, authenticationOffStage } from './pipeline/authenticate.js';
import type { Authenticated, Reached } from './pipeline/exchange.js';
import { executeStage } from './pipeline/execute.js';
import { finishStage } from './pipeline/finish.js';
import { auditAvailableStage, incomingStage, splitTarget } from './pipeline/incoming.js';
import { planStage } from './pipeline/plan.js';
import { classOfMethod, coarseLimitStage, principalLimitStage } from './pipeline/rate-limit.js';
import { problemReply, type Reply } from './pipeline/reply.js';
import { respondStage } from './pipeline/respond.js';
import { routeStage } from './pipeline/route.js';
import { validateStage } from './pipeline/validate.js';
import type { CompiledPolicy } from './policy/compile-policies.js';
import type { Executor } from './query/execute.js';
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
  readonly executor: Executor;
  readonly document: Record<string, unknown>;
  readonly operations: OperationIndex;
  readonly validators: ValidatorFactory;
  readonly readiness?: Readiness;
  /** The audit log; absent: requests are not audited. */
  readonly auditor?: Auditor;
  readonly security: Security;
}

export interface GatehouseApp {
  /** The Express app: every request, data operations included (supertest and extensions use it). */
  readonly express: Express;
  /** The node:http door: data operations served directly, everything else handed to the Express app. */
  readonly listener: RequestListener;
}

type ServeData = (message: IncomingMessage, res: ServerResponse, match: RouteMatch, path: string, query: string) => void;

export function buildApp(deps: AppDeps): GatehouseApp {
  const { config, logger, security, auditor } = deps;
  const { network, rateLimitStores } = security;

  // 1. context: request id, timing, the request's audit record (strict audit refuses while it cannot record).
  const incoming = incomingStage(auditor);
  const auditAvailable = auditAvailableStage(auditor);
  // 2. client address through trusted proxies only; global source allowlist.
  const resolveAddress = resolveAddressStage(network);
  const allowlist = allowlistStage(network);
  // 3. coarse rate limit by address: protects token verification.
  const coarseLimit = coarseLimitStage(config.rateLimit, rateLimitStores);
  // 4. authenticate: Bearer JWT → Principal (401 otherwise), or the explicit anonymous caller when auth is off.
  const authenticate = security.verifier ? authenticateStage(security.verifier, config.auth) : authenticationOffStage();
  // 5. route: method + path → the contract's operation.
  const route = routeStage();
  // 6. authorize: scopes, per-client / per-scope source lists, access rules → Decision (gateway endpoints: admission).
  const authorize = authorizeStage(network, security.policy);
  const admit = admitStage(network);
  // 7. per-principal rate limit, by operation class.
  const principalLimit = principalLimitStage(config.rateLimit, rateLimitStores);
  // 8–11. validate → plan (pure) → execute (the audit record passed in) → respond.
  const validate = validateStage({ validators: deps.validators, limits: config.limits, bodyLimitBytes: config.server.bodyLimitBytes });
  const plan = planStage();
  const execute = executeStage(deps.sources, deps.executor);
  const respond = respondStage(config.policies.maskKey);
  // 12. audit (durable before the answer in strict mode), request log, one write.
  const finish = finishStage({ auditor, logger, logRequests: config.log.requests });
  const timeoutMs = config.server.requestTimeoutMs;

  const serveData: ServeData = (message, res, match, path, query) => {
    const x1 = incoming(message, path, query);
    let reached: Reached = x1;
    let settled = false;
    let timer: NodeJS.Timeout | undefined = undefined;
    const settle = (reply: Reply): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void finish(reached, reply, res);
    };
    // Past the request timeout the caller gets 504 at once; the answer the chain produces later is dropped.
    timer = setTimeout(() => settle(problemReply(new RequestTimeoutError(), path, x1.id)), timeoutMs);
    void (async (): Promise<Reply> => {
      auditAvailable(x1);
      const x2 = (reached = resolveAddress(x1));
      allowlist(x2);
      await coarseLimit(x2);
      const x4 = (reached = await authenticate(x2));
      const x5 = (reached = route(x4, match));
      const x6 = (reached = authorize(x5));
      await principalLimit(x6, classOfMethod(x6.operation.method));
      const x8 = (reached = await validate(x6));
      const x9 = (reached = plan(x8));
      const x10 = (reached = await execute(x9));
      return respond(x10);
    })().then(settle, (err: unknown) => settle(problemReply(err, path, x1.id)));
  };

  // The gateway's own endpoints that need a principal: admission (token, scope, source allowlists), then the audit budget.
  const guard = (gatewayRoute: GatewayRoute): RequestHandler[] => [
    (_req, res, next) => {
      ownRequest(res).reached.audit?.setRoute(gatewayRoute.template, gatewayRoute.operationId);
      next();
    },
    stageMiddleware((x: Authenticated) => {
      admit(x, gatewayRoute);
    }),
    stageMiddleware((x: Authenticated) => principalLimit(x, 'audit')),
  ];

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false);
  // Data operations: the same chain as the node:http door.
  app.use(dataDoor(deps.operations, serveData));
  // The gateway's own endpoints, stage by stage.
  app.use(beginOwnRequest(incoming, (path) => auditor?.config.includeHealth === true || !HEALTH_PATHS.has(path)));
  if (auditor) app.use(auditOwnRequests(app, auditor));
  app.use(ownRequestLog(logger, config.log.requests));
  app.use(requestTimeout(timeoutMs));
  app.use(stageMiddleware(auditAvailable));
  // Probes come from the kubelet, whose address is rarely in the allowlist; they reveal nothing.
  app.use(healthRoutes(deps.sources, deps.readiness ?? { checks: [] }));
  app.use(stageMiddleware(resolveAddress));
  app.use(stageMiddleware(allowlist));
  app.use(stageMiddleware(coarseLimit));
  app.use(docsRoutes(deps.document));
  app.use(stageMiddleware(authenticate));
  if (security.policy) app.use(scopedDocumentRoute(deps.document, deps.operations.operations, security.policy, admit));
  // The auditor API (scope audit:read); its own requests are audited like any other.
  if (auditor) app.use(AUDIT_BASE, auditRoutes(auditor, guard));
  // The migration report (scope reports:read), read from the same store, admitted and audited like the auditor API.
  if (auditor) app.use(REPORTS_BASE, reportRoutes({ store: auditor.store.db, sources: deps.sources, operations: deps.operations.operations, config }, guard));
  app.use(ownNotFound());
  app.use(ownErrorHandler(logger));

  const listener: RequestListener = (req, res) => {
    const { path, query } = splitTarget(req.url);
    const match = deps.operations.match(req.method ?? 'GET', path);
    if (match.kind === 'none') app(req, res);
    else serveData(req, res, match, path, query);
  };
  return { express: app, listener };
}

const HEALTH_PATHS = new Set(['/healthz', '/readyz']);

/** The Express door's first middleware: a data operation leaves Express here and runs the chain. */
function dataDoor(operations: OperationIndex, serveData: ServeData): RequestHandler {
  return (req, res, next) => {
    const { path, query } = splitTarget(req.originalUrl);
    const match = operations.match(req.method, path);
    if (match.kind === 'none') return next();
    serveData(req, res, match, path, query);
  };
}

/** A ceiling on a gateway endpoint's request: past it the caller gets 504 and the response is not written twice. */
function requestTimeout(timeoutMs: number): RequestHandler {
  return (_req, res, next) => {
    const timer = setTimeout(() => {
      if (!res.headersSent) next(new RequestTimeoutError());
    }, timeoutMs);
    const clear = (): void => clearTimeout(timer);
    res.on('finish', clear);
    res.on('close', clear);
    next();
  };
}
