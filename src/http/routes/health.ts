// /healthz (the process is alive) and /readyz (every source answers and the spec is loaded; details never change it).
import { Router } from 'express';
import type { DataSources } from '../../db/sources.js';

export interface Readiness {
  /** Extra checks other subsystems register (e.g. the audit store); each returns a reason when not ready. */
  readonly checks: Array<() => Promise<string | undefined>>;
  /** Facts shown in the body under `details` that never change the status (e.g. DNS registration: the gateway still serves). */
  readonly details?: Readonly<Record<string, () => unknown>>;
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
    const entries = Object.entries(readiness.details ?? {});
    const details = entries.length > 0 ? { details: Object.fromEntries(entries.map(([key, read]) => [key, read()])) } : {};
    res.setHeader('Cache-Control', 'no-store');
    if (reasons.length > 0) res.status(503).json({ status: 'unavailable', reasons, ...details });
    else res.json({ status: 'ready', ...details });
  });
  return router;
}
