// /healthz (the process is alive) and /readyz (not shutting down, every source answers, every registered check passes;
// details never change it).
import { Router } from 'express';
import type { DataSources } from '../../db/sources.js';

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

/** Why the gateway is not ready; empty when it is. What /readyz and the `gatehouse_ready` metric both say. */
export async function readinessReasons(sources: DataSources, readiness: Readiness): Promise<string[]> {
  const closed = readiness.gate?.();
  if (closed !== undefined) return [closed];
  const unreachable = await sources.unreachable();
  const reasons = unreachable.map((name) => `source ${name} is unreachable`);
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
  router.get('/readyz', async (_req, res) => {
    const reasons = await readinessReasons(sources, readiness);
    const entries = Object.entries(readiness.details ?? {});
    const details = entries.length > 0 ? { details: Object.fromEntries(entries.map(([key, read]) => [key, read()])) } : {};
    res.setHeader('Cache-Control', 'no-store');
    if (reasons.length > 0) res.status(503).json({ status: 'unavailable', reasons, ...details });
    else res.json({ status: 'ready', ...details });
  });
  return router;
}
