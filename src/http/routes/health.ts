// /healthz (the process is alive) and /readyz (every source answers and the spec is loaded).
import { Router } from 'express';
import type { DataSources } from '../../db/sources.js';

export interface Readiness {
  /** Extra checks other subsystems register (e.g. the audit store); each returns a reason when not ready. */
  readonly checks: Array<() => Promise<string | undefined>>;
}

export function healthRoutes(sources: DataSources, readiness: Readiness): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const unreachable = await sources.unreachable();
    const reasons = unreachable.map((name) => `source ${name} is unreachable`);
    for (const check of readiness.checks) {
      const reason = await check();
      if (reason) reasons.push(reason);
    }
    res.setHeader('Cache-Control', 'no-store');
    if (reasons.length > 0) res.status(503).json({ status: 'unavailable', reasons });
    else res.json({ status: 'ready' });
  });
  return router;
}
