// Pipeline steps 3 and 7: a coarse limit per client address, and per-principal limits per operation class.
import { createHash } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit, type Options, type RateLimitInfo } from 'express-rate-limit';
import type { OperationClass, RateLimitConfig, RateLimitWindow } from '../../config/types.js';
import { InternalError, RateLimitedError } from '../../errors/app-error.js';
import type { RateLimitStores } from '../../ratelimit/rate-limit-stores.js';
import { contextOf } from '../context.js';

interface LimiterSpec {
  /** Policy name in the RateLimit / RateLimit-Policy headers, and the store's key namespace. */
  readonly name: string;
  readonly window: RateLimitWindow;
  readonly key: (req: Request) => string;
}

/**
 * Before authentication, so a flood of bad tokens cannot make the gateway verify signatures
 * without bound. Keyed by the resolved client address (clientAddress() must run first); IPv6
 * by its /`ipv6Subnet` network, since one host usually holds a whole /64 or more.
 */
export function coarseRateLimit(config: RateLimitConfig, stores: RateLimitStores): RequestHandler {
  if (!config.enabled) return passThrough;
  return limiter(config, stores, { name: 'address', window: config.coarse, key: (req) => addressKey(req, config) });
}

/**
 * After authorization: one budget per principal and operation class. `operationClass` is fixed
 * (`'audit'` for the auditor API) or derived per request; by default GET is `read` and every other
 * method `write`. Without a principal (authentication not configured) the client address is the key.
 */
export function principalRateLimit(
  config: RateLimitConfig,
  stores: RateLimitStores,
  operationClass: OperationClass | ((req: Request) => OperationClass) = classifyByMethod,
): RequestHandler {
  if (!config.enabled) return passThrough;
  const classes: readonly OperationClass[] = typeof operationClass === 'function' ? ['read', 'write', 'audit'] : [operationClass];
  const limiters = new Map(
    classes.map((cls) => [
      cls,
      limiter(config, stores, { name: `principal-${cls}`, window: config.principal[cls], key: (req) => principalKey(req, config) }),
    ]),
  );
  const classify = typeof operationClass === 'function' ? operationClass : () => operationClass;
  return (req, res, next) => {
    const handler = limiters.get(classify(req));
    if (handler === undefined) {
      next(new InternalError('no rate limiter for this operation class'));
      return;
    }
    handler(req, res, next);
  };
}

export function classifyByMethod(req: Request): OperationClass {
  const method = contextOf(req).operation?.method.toUpperCase() ?? req.method;
  return method === 'GET' || method === 'HEAD' ? 'read' : 'write';
}

function limiter(config: RateLimitConfig, stores: RateLimitStores, spec: LimiterSpec): RequestHandler {
  const requestPropertyName = `rateLimit:${spec.name}`;
  return rateLimit({
    windowMs: spec.window.windowMs,
    limit: spec.window.limit,
    store: stores.create(spec.name),
    identifier: spec.name,
    // draft-8: `RateLimit: "address"; r=0; t=42` and `RateLimit-Policy: "address"; q=100; w=60; pk=…`.
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // Each limiter keeps its own info on the request, so the coarse one is not overwritten later.
    requestPropertyName,
    keyGenerator: spec.key,
    passOnStoreError: config.failOpen,
    logger: stores.libraryLogger,
    // Through the project's error pipeline: an RFC 9457 problem with code rate_limited.
    handler: (req, _res, next, options: Options) => {
      const info = (req as unknown as Record<string, RateLimitInfo | undefined>)[options.requestPropertyName];
      const resetMs = info?.resetTime ? info.resetTime.getTime() - Date.now() : options.windowMs;
      contextOf(req).deniedBy = `rateLimit.${spec.name}`;
      next(new RateLimitedError(resetMs / 1000));
    },
  });
}

function addressKey(req: Request, config: RateLimitConfig): string {
  const ip = contextOf(req).client?.ip;
  // A wiring error, not a client's: refusing is safer than one shared bucket for "unknown".
  if (ip === undefined) throw new InternalError('coarseRateLimit() needs clientAddress() before it');
  return ipKeyGenerator(ip, config.ipv6Subnet);
}

function principalKey(req: Request, config: RateLimitConfig): string {
  const ctx = contextOf(req);
  const principal = ctx.principal;
  if (principal === undefined) return `ip:${addressKey(req, config)}`;
  const [kind, id] =
    config.principalKey === 'clientId' && principal.clientId !== undefined ? ['cid', principal.clientId] : ['sub', principal.subject];
  // Hashed: subjects are often e-mail addresses, and Redis keys show up in monitoring.
  return `${kind}:${createHash('sha256').update(id).digest('base64url').slice(0, 22)}`;
}

const passThrough: RequestHandler = (_req, _res, next) => next();
