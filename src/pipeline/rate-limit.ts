// Stages 3 and 7: a coarse limit per client address (before any token is verified), and per-principal limits per
// operation class (after authorization). Counters live in express-rate-limit's stores (memory, or Redis shared by
// every replica); the stores are called directly, without a middleware chain.
import { createHash } from 'node:crypto';
import { ipKeyGenerator } from 'express-rate-limit';
import type { Principal } from '../auth/principal.js';
import type { OperationClass, RateLimitConfig } from '../config/types.js';
import { createLimiter, type Limiter } from '../ratelimit/limiter.js';
import type { RateLimitStores } from '../ratelimit/rate-limit-stores.js';
import { isAnonymous, type Addressed, type Authenticated } from './exchange.js';

export type CoarseLimit = (x: Addressed) => Promise<void>;
export type PrincipalLimit = (x: Authenticated, operationClass: OperationClass) => Promise<void>;

const allow = (): Promise<void> => Promise.resolve();

/** Keyed by the resolved client address; IPv6 by its /`ipv6Subnet` network, since one host usually holds a /64 or more. */
export function coarseLimitStage(config: RateLimitConfig, stores: RateLimitStores): CoarseLimit {
  if (!config.enabled) return allow;
  const limiter = createLimiter(stores.create('address'), {
    name: 'address',
    window: config.coarse,
    failOpen: config.failOpen,
    logger: stores.libraryLogger,
  });
  return (x) => limiter.hit(ipKeyGenerator(x.client.ip, config.ipv6Subnet), x.replyHeaders);
}

/**
 * One budget per principal and operation class (read, write, audit). Without a principal (authentication off, or
 * an anonymous caller) the client address is the key.
 */
export function principalLimitStage(config: RateLimitConfig, stores: RateLimitStores): PrincipalLimit {
  if (!config.enabled) return allow;
  const limiters = new Map<OperationClass, Limiter>();
  for (const cls of ['read', 'write', 'audit'] as const) {
    const name = `principal-${cls}`;
    limiters.set(cls, createLimiter(stores.create(name), { name, window: config.principal[cls], failOpen: config.failOpen, logger: stores.libraryLogger }));
  }
  // Principals repeat (the token cache hands back the same object), so each one's key is hashed once.
  const keys = new WeakMap<Principal, string>();
  const keyOf = (x: Authenticated): string => {
    const caller = x.caller;
    if (isAnonymous(caller)) return `ip:${ipKeyGenerator(x.client.ip, config.ipv6Subnet)}`;
    let key = keys.get(caller);
    if (key === undefined) {
      const [kind, id] = config.principalKey === 'clientId' && caller.clientId !== undefined ? ['cid', caller.clientId] : ['sub', caller.subject];
      // Hashed: subjects are often e-mail addresses, and Redis keys show up in monitoring.
      key = `${kind}:${createHash('sha256').update(id).digest('base64url').slice(0, 22)}`;
      keys.set(caller, key);
    }
    return key;
  };
  return (x, operationClass) => limiters.get(operationClass)!.hit(keyOf(x), x.replyHeaders);
}

/** GET and HEAD read; every other method writes. */
export function classOfMethod(method: string): OperationClass {
  return method === 'GET' || method === 'HEAD' || method === 'get' ? 'read' : 'write';
}
