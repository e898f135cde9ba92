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
import type { GatehouseConfig, RateLimitConfig } from './config/types.js';
import type { DataSources } from './db/sources.js';
import { RequestTimeoutError } from './errors/app-error.js';
import { beginOwnRequest, ownRequest, stageMiddleware } from './http/own-request.js';
import { auditOwnRequests } from './http/own-audit.js';
import { ownErrorHandler, ownNotFound, ownRequestLog } from './http/own-errors.js';
import { AUDIT_BASE, auditRoutes } from './http/routes/audit.js';
import { REPORTS_BASE, reportRoutes } from './http/routes/reports.js';
import { docsRoutes } from './http/routes/docs.js';
import { gatewayMethods } from './http/routes/gateway-openapi.js';
import { healthRoutes, type Readiness } from './http/routes/health.js';
import { scopedDocumentRoute } from './http/routes/scoped-document.js';
import type { NetworkPolicy } from './net/network-policy.js';
import type { InFlight } from './lifecycle/in-flight.js';
import type { Logger } from './observability/logger.js';
import { endpointServed, type Observe } from './observability/observation.js';
import { withIdempotencyKey } from './openapi/idempotency-contract.js';
import type { OperationIndex, RouteMatch } from './openapi/operation-index.js';
import { maskedByAnyRule } from './openapi/scope-document.js';
import type { ValidatorFactory } from './openapi/validators.js';
import { admitStage, admitted, authorizeStage, type GatewayRoute } from './pipeline/authorize.js';
import { allowlistStage, resolveAddressStage } from './pipeline/address.js';
import { authenticateStage, authenticationOffStage } from './pipeline/authenticate.js';
import type { Authenticated, Planned, Reached } from './pipeline/exchange.js';
import { executeStage } from './pipeline/execute.js';
import { finishStage } from './pipeline/finish.js';
import { idempotencyStage, settleKey } from './pipeline/idempotency.js';
import type { IdempotencyStore } from './idempotency/idempotency-store.js';
import { durationSeconds } from './idempotency/idempotency-key.js';
import { auditAvailableStage, incomingStage, splitTarget } from './pipeline/incoming.js';
import { planStage } from './pipeline/plan.js';
import { classOfMethod, coarseLimitStage, principalLimitStage, type CoarseLimit, type PrincipalLimit } from './pipeline/rate-limit.js';
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
  /** Built once per process (their counters outlive a reload): rateLimitStages(). */
  readonly limits: RateLimits;
  readonly verifier?: TokenVerifier;
  readonly policy?: CompiledPolicy;
}

export interface RateLimits {
  /** 3. by client address, before any token is verified. */
  readonly coarse: CoarseLimit;
  /** 7. by principal and operation class. */
  readonly principal: PrincipalLimit;
}

export function rateLimitStages(config: RateLimitConfig, stores: RateLimitStores): RateLimits {
  return { coarse: coarseLimitStage(config, stores), principal: principalLimitStage(config, stores) };
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
  /** Seals keyset cursors (see query/cursor.ts). */
  readonly cursorKey: Buffer;
  /** Each answered request, as an observation (metrics); absent: not observed. */
  readonly observe?: Observe;
  /** Requests (and the audit records they owe) in flight, for a shutdown to wait on. */
  readonly inFlight?: InFlight;
  /** Idempotency-Key answers, in the gateway's own store; absent (no store): the header is ignored. */
  readonly idempotency?: IdempotencyStore;
}

export interface GatehouseApp {
  /** The Express app: every request, data operations included (supertest and extensions use it). */
  readonly express: Express;
  /** The node:http door: data operations served directly, everything else handed to the Express app. */
  readonly listener: RequestListener;
}

type ServeData = (message: IncomingMessage, res: ServerResponse, match: RouteMatch, path: string, query: string) => void;

export function buildApp(deps: AppDeps): GatehouseApp {
  const { config, logger, security, auditor, observe } = deps;
  const { network } = security;
  const hold = deps.inFlight?.hold ?? noHold;

  // 1. context: request id, timing, the request's audit record (strict audit refuses while it cannot record).
  const incoming = incomingStage(auditor);
  const auditAvailable = auditAvailableStage(auditor);
  // 2. client address through trusted proxies only; global source allowlist.
  const resolveAddress = resolveAddressStage(network);
  const allowlist = allowlistStage(network);
  // 3. coarse rate limit by address: protects token verification.
  const coarseLimit = security.limits.coarse;
  // 4. authenticate: Bearer JWT → Principal (401 otherwise), or the explicit anonymous caller when auth is off.
  const authenticate = security.verifier ? authenticateStage(security.verifier, config.auth) : authenticationOffStage();
  // 5. route: method + path → the contract's operation.
  const route = routeStage();
  // 6. authorize: scopes, per-client / per-scope source lists, access rules → Decision (gateway endpoints: admission).
  const authorize = authorizeStage(network, security.policy);
  const admit = admitStage(network);
  // 7. per-principal rate limit, by operation class.
  const principalLimit = security.limits.principal;
  // 8–11. validate → plan (pure) → execute (the audit record passed in) → respond.
  const validate = validateStage({ validators: deps.validators, limits: config.limits, bodyLimitBytes: config.server.bodyLimitBytes });
  // 8½. a write's Idempotency-Key: claimed for this request, or the first answer replayed (nothing runs again).
  const idempotency = idempotencyStage({ store: deps.idempotency, ttlSeconds: durationSeconds(config.idempotency.ttl) });
  const plan = planStage(deps.cursorKey);
  const execute = executeStage(deps.sources, deps.executor);
  const respond = respondStage(config.policies.maskKey, deps.cursorKey);
  // 12. audit (durable before the answer in strict mode), request log, one write.
  const finish = finishStage({
    auditor,
    logger,
    logRequests: config.log.requests,
    observe,
    idempotency: deps.idempotency,
    writeHoldMs: config.audit?.writeHoldMs,
  });
  const timeoutMs = config.server.requestTimeoutMs;

  const serveData: ServeData = (message, res, match, path, query) => {
    const x1 = incoming(message, path, query);
    let reached: Reached = x1;
    let settled = false;
    let timer: NodeJS.Timeout | undefined = undefined;
    let grace: NodeJS.Timeout | undefined = undefined;
    // Aborted when the request timeout passes: the execution cancels its statement and rolls back (see Executor).
    const abort = new AbortController();
    let executing = false;
    // In flight until both the answer (with its audit record) and the chain are over: a chain that outlives its
    // request timeout still runs statements that a shutdown must not cut off from their record.
    const release = hold();
    let open = 2;
    const over = (): void => {
      if (--open === 0) release();
    };
    const settle = (reply: Reply): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(grace);
      void finish(reached, reply, res).finally(over);
    };
    timer = setTimeout(() => {
      const timedOut = new RequestTimeoutError();
      abort.abort(timedOut);
      // Before the execution starts nothing has reached the database: 504 at once (the chain stops before executing).
      // Once it has started, the answer is what became of the data: the cancel and rollback take milliseconds, and a
      // COMMIT already sent is left to finish, so a write that commits is never answered 504. Only a database that
      // does not answer the cancel within the grace gets the 504 that says the outcome is not known.
      if (!executing) settle(problemReply(timedOut, path, reached.id));
      else grace = setTimeout(() => settle(problemReply(outcomeUnknown(reached), path, reached.id)), CANCEL_GRACE_MS);
    }, timeoutMs);
    // A keyed write's key is settled with the answer its chain ends with, even after the caller got its 504.
    const ended = async (reply: Reply): Promise<void> => {
      if (settled) await settleKey(deps.idempotency, reached, reply);
      else settle(reply);
    };
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
      const x8i = (reached = await idempotency(x8));
      if (x8i.replay) return x8i.replay;
      const x9 = (reached = plan(x8i));
      abort.signal.throwIfAborted();
      executing = true;
      const x10 = (reached = await execute(x9, abort.signal).finally(() => (executing = false)));
      return respond(x10);
    })()
      .then(ended, (err: unknown) => ended(problemReply(err, path, reached.id)))
      .finally(over);
  };

  // The gateway's own endpoints that need a principal: admission (token, scope, source allowlists), then the audit budget.
  const guard = (gatewayRoute: GatewayRoute): RequestHandler[] => [
    (_req, res, next) => {
      ownRequest(res).reached.audit?.setRoute(gatewayRoute.template, gatewayRoute.operationId);
      next();
    },
    stageMiddleware((x: Authenticated) => {
      admit(x, gatewayRoute);
      return admitted(x);
    }),
    // Its X-Request-Id went out with the response's first headers: the admitted caller's own id replaces it.
    (_req, res, next) => {
      res.setHeader('X-Request-Id', ownRequest(res).reached.id);
      next();
    },
    stageMiddleware((x: Authenticated) => principalLimit(x, 'audit')),
  ];

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false);
  // Data operations: the same chain as the node:http door.
  app.use(dataDoor(deps.operations, serveData));
  // The gateway's own endpoints, stage by stage.
  app.use(holdOwnRequests(hold));
  app.use(beginOwnRequest(incoming, (path) => auditor?.config.includeHealth === true || !HEALTH_PATHS.has(path)));
  if (auditor) app.use(auditOwnRequests(app, auditor));
  app.use(ownRequestLog(logger, config.log.requests));
  if (observe) app.use(observeOwnRequests(observe));
  app.use(requestTimeout(timeoutMs));
  app.use(stageMiddleware(auditAvailable));
  // Probes come from the kubelet, whose address is rarely in the allowlist; they reveal nothing.
  app.use(healthRoutes(deps.sources, deps.readiness ?? { checks: [] }));
  app.use(stageMiddleware(resolveAddress));
  app.use(stageMiddleware(allowlist));
  app.use(stageMiddleware(coarseLimit));
  // The contract as served: with Idempotency-Key on its writes when keys are honoured.
  const document = deps.idempotency ? withIdempotencyKey(deps.document) : deps.document;
  app.use(docsRoutes(document, deps.operations.operations, maskedByAnyRule(deps.operations.operations, security.policy)));
  app.use(stageMiddleware(authenticate));
  if (security.policy) app.use(scopedDocumentRoute(document, deps.operations.operations, security.policy, admit));
  // The auditor API (scope audit:read); its own requests are audited like any other.
  if (auditor) app.use(AUDIT_BASE, auditRoutes(auditor, guard));
  // The migration report (scope reports:read), read from the same store, admitted and audited like the auditor API.
  if (auditor) app.use(REPORTS_BASE, reportRoutes({ store: auditor.store.db, sources: deps.sources, operations: deps.operations.operations, config }, guard));
  app.use(ownNotFound(gatewayMethods()));
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

/** How long past its timeout a request waits for its cancelled execution to say what became of the data. */
const CANCEL_GRACE_MS = 5000;

/** The cancel went unanswered: the statement may still complete (the database or the network is stuck). */
function outcomeUnknown(reached: Reached): RequestTimeoutError {
  const read = (reached as Partial<Planned>).planned?.plan.kind === 'select';
  reached.audit?.note('dataChanged', read ? false : 'unknown');
  reached.audit?.note('cancelled', false);
  const what = read ? 'its statement did not stop in time' : 'whether its change was applied is not known';
  return new RequestTimeoutError(`the request took longer than the configured request timeout; ${what}`, { stillRunning: true });
}

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

const noHold = (): (() => void) => () => undefined;

/** A gateway endpoint's request is in flight until its response is over (its audit record is then queued). */
function holdOwnRequests(hold: () => () => void): RequestHandler {
  return (_req, res, next) => {
    res.once('close', hold());
    next();
  };
}

/** Each gateway-endpoint request, once over, as an observation named by its route template. */
function observeOwnRequests(observe: Observe): RequestHandler {
  return (req, res, next) => {
    let done = false;
    const served = (): void => {
      if (done) return;
      done = true;
      const state = ownRequest(res);
      const route = req.route as { path?: unknown } | undefined;
      const template = typeof route?.path === 'string' ? `${req.baseUrl}${route.path}` : undefined;
      const status = res.writableFinished ? res.statusCode : 499;
      observe(endpointServed(template, status, state.error?.code, state.error?.deniedBy, state.reached.startedAt));
    };
    res.on('finish', served);
    res.on('close', served);
    next();
  };
}
