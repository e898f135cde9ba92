// /healthz (the process is alive) and /readyz (not shutting down, every source answers, every registered check passes;
// details never change it).
import { Router } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { DataSources } from '../../db/sources.js';
import { RateLimitedError } from '../../errors/app-error.js';
import { cachedFor } from '../../util/cached-result.js';

export interface Readiness {
  /** Extra checks other subsystems register (e.g. the audit store); each returns a reason when not ready. */
  readonly checks: Array<() => Promise<string | undefined>>;
  /**
   * Asked first, without touching a database: a reason means not ready at once (shutting down). The probe then
   * answers in microseconds, so the load balancer learns it on its very next probe.
   */
  readonly gate?: () => string | undefined;
  /** Facts shown in the body under `details` that never change the status (e.g. DNS registration: the gateway still serves). */
  readonly details?: Readonly<Record<string, () => unknown>>;
}

/**
 * /readyz answers before any allowlist (probes come from the kubelet), so it must not let anyone drive load onto the
 * databases: its result is reused for a second, whoever asks, and each address may ask a few times a second.
 */
export const READY_CACHE_MS = 1000;
export const READY_LIMIT = { limit: 20, windowMs: 1000 } as const;

/** Why the gateway is not ready; empty when it is. What /readyz and the `gatehouse_ready` metric both say. */
export async function readinessReasons(sources: DataSources, readiness: Readiness): Promise<string[]> {
  const closed = readiness.gate?.();
  if (closed !== undefined) return [closed];
  return probeReasons(sources, readiness);
}

/** What the databases and the registered checks say (the part of readiness that costs a round trip). */
async function probeReasons(sources: DataSources, readiness: Readiness): Promise<string[]> {
  const reasons = (await sources.unreachable()).map((name) => `source ${name} is unreachable`);
  for (const check of readiness.checks) {
    const reason = await check();
    if (reason) reasons.push(reason);
  }
  return reasons;
}

export function healthRoutes(sources: DataSources, readiness: Readiness): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // The shutdown gate is asked at every probe (it costs nothing); the databases at most once a second.
  const probed = cachedFor(READY_CACHE_MS, () => probeReasons(sources, readiness));
  const limit = rateLimit({
    ...READY_LIMIT,
    // In memory, per replica: each replica is probed on its own. Keyed by the socket peer (no proxy is trusted yet).
    keyGenerator: (req) => ipKeyGenerator(req.socket.remoteAddress ?? 'unknown', 56),
    standardHeaders: false,
    legacyHeaders: false,
    handler: (_req, _res, next) => next(new RateLimitedError(READY_LIMIT.windowMs / 1000)),
  });
  router.get('/readyz', limit, async (_req, res) => {
    const closed = readiness.gate?.();
    const found = closed !== undefined ? [closed] : await probed();
    // Details are read as they are (they cost nothing and never change the status).
    const entries = Object.entries(readiness.details ?? {});
    const details = entries.length > 0 ? { details: Object.fromEntries(entries.map(([key, read]) => [key, read()])) } : {};
    res.setHeader('Cache-Control', 'no-store');
    if (found.length > 0) res.status(503).json({ status: 'unavailable', reasons: found, ...details });
    else res.json({ status: 'ready', ...details });
  });
  return router;
}
