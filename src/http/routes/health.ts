// /healthz (the process is alive) and /readyz (every source answers and the spec is loaded; details never change it).
import { Router } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { DataSources } from '../../db/sources.js';
import { RateLimitedError } from '../../errors/app-error.js';
import { cachedFor } from '../../util/cached-result.js';

export interface Readiness {
  /** Extra checks other subsystems register (e.g. the audit store); each returns a reason when not ready. */
  readonly checks: Array<() => Promise<string | undefined>>;
  /** Facts shown in the body under `details` that never change the status (e.g. DNS registration: the gateway still serves). */
  readonly details?: Readonly<Record<string, () => unknown>>;
}

/**
 * /readyz answers before any allowlist (probes come from the kubelet), so it must not let anyone drive load onto the
 * databases: its result is reused for a second, whoever asks, and each address may ask a few times a second.
 */
export const READY_CACHE_MS = 1000;
export const READY_LIMIT = { limit: 20, windowMs: 1000 } as const;

export function healthRoutes(sources: DataSources, readiness: Readiness): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const reasons = cachedFor(READY_CACHE_MS, async () => {
    const found = (await sources.unreachable()).map((name) => `source ${name} is unreachable`);
    for (const check of readiness.checks) {
      const reason = await check();
      if (reason) found.push(reason);
    }
    return found;
  });
  const limit = rateLimit({
    ...READY_LIMIT,
    // In memory, per replica: each replica is probed on its own. Keyed by the socket peer (no proxy is trusted yet).
    keyGenerator: (req) => ipKeyGenerator(req.socket.remoteAddress ?? 'unknown', 56),
    standardHeaders: false,
    legacyHeaders: false,
    handler: (_req, _res, next) => next(new RateLimitedError(READY_LIMIT.windowMs / 1000)),
  });
  router.get('/readyz', limit, async (_req, res) => {
    const found = await reasons();
    // Details are read as they are (they cost nothing and never change the status).
    const entries = Object.entries(readiness.details ?? {});
    const details = entries.length > 0 ? { details: Object.fromEntries(entries.map(([key, read]) => [key, read()])) } : {};
    res.setHeader('Cache-Control', 'no-store');
    if (found.length > 0) res.status(503).json({ status: 'unavailable', reasons: found, ...details });
    else res.json({ status: 'ready', ...details });
  });
  return router;
}
