// The order of a graceful stop: fail readiness first, keep serving while the load balancer notices, stop accepting,
// let requests in flight finish, and only then close the audit log and the pools.
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Gateway } from '../gateway.js';
import type { Logger } from '../observability/logger.js';
import { shutdownProgress } from '../observability/observation.js';
import type { LifecycleParticipant } from './participant.js';

/**
 * After the grace, the connections still open are cut; their requests keep running and are given this long to record
 * their audit events (with the statements they ran) before the audit log closes. One still running then leaves its
 * write-ahead intent, which the next start closes as `unknown`. The chart's termination grace period allows for it.
 */
export const AFTER_CUT_MS = 5000;
const POLL_MS = 25;

export interface ShutdownDeps {
  readonly gateway: Gateway;
  readonly server: Server;
  readonly participants: readonly LifecycleParticipant[];
  readonly logger: Logger;
  /** Closed last, so a scrape during the drain still sees it. */
  readonly closeMetrics?: () => Promise<void>;
}

export async function shutDown(deps: ShutdownDeps, signal?: string): Promise<void> {
  const { gateway, server, logger } = deps;
  const { observe, inFlight } = gateway;
  // 1. Readiness fails now; every answer from here on (and those being prepared) closes its connection.
  gateway.drain();
  observe(shutdownProgress('draining', inFlight.count(), signal));
  const stopped = Promise.all(
    deps.participants.map(async (p) => {
      try {
        await p.stop?.();
      } catch (err) {
        logger.error(`${p.name}: stopping failed`, { event: 'participant_stop_failed', participant: p.name, error: String(err) });
      }
    }),
  );
  // Read now: a reload may have changed them since start-up.
  const { shutdownDelayMs, shutdownGraceMs } = gateway.config.server;
  // 2. Still serving while the Service's endpoints (or a load balancer's pool) drop this instance.
  if (shutdownDelayMs > 0) await sleep(shutdownDelayMs);
  // 3. No new connections; idle keep-alive connections close; the requests in flight finish.
  let serverClosed = false;
  const closed = new Promise<void>((resolve) =>
    server.close(() => {
      serverClosed = true;
      resolve();
    }),
  );
  observe(shutdownProgress('closing', inFlight.count()));
  const done = (): boolean => serverClosed && inFlight.count() === 0;
  const deadline = Date.now() + shutdownGraceMs;
  while (!done() && Date.now() < deadline) {
    // Again and again: a connection whose answer had left before the drain began becomes idle only later.
    server.closeIdleConnections();
    await sleep(Math.min(POLL_MS, Math.max(1, deadline - Date.now())));
  }
  if (!done()) {
    // 4. The grace is over: cut what is left, and wait a little longer for those requests' audit records.
    observe(shutdownProgress('cutting', inFlight.count()));
    server.closeAllConnections();
    await inFlight.idle(AFTER_CUT_MS);
  }
  await closed;
  await stopped;
  // 5. The audit log commits what is queued and signs its shutdown checkpoint; the pools close.
  await gateway.close();
  await deps.closeMetrics?.();
  observe(shutdownProgress('stopped', inFlight.count()));
}
