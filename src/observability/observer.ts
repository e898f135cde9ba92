// Routes observation events: each to the metrics (when enabled) and, for lifecycle events, to one log line.
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { Observation, Observe } from './observation.js';

export function createObserver(deps: { readonly logger: Logger; readonly metrics: Metrics | undefined }): Observe {
  const { logger, metrics } = deps;
  return (o) => {
    metrics?.record(o);
    logObservation(logger, o);
  };
}

/** The log line of an observation, if it has one (requests have their own request log; counters have none). */
function logObservation(logger: Logger, o: Observation): void {
  switch (o.type) {
    case 'reload': {
      const meta = {
        event: `reload_${o.outcome}`,
        trigger: o.trigger,
        changed: o.changed,
        resourcesAdded: o.resourcesAdded,
        resourcesRemoved: o.resourcesRemoved,
      };
      if (o.outcome === 'refused') {
        // One line that says why; the old configuration keeps serving.
        logger.error(`reload refused, the running configuration keeps serving: ${o.reasons.join('; ')}`, { ...meta, reasons: o.reasons });
      } else if (o.outcome === 'applied') {
        logger.info(`reload applied: ${o.changed.length > 0 ? o.changed.join(', ') : 'the contract'} changed`, meta);
      } else {
        logger.info('reload: nothing changed', meta);
      }
      return;
    }
    case 'shutdown': {
      const messages = {
        draining: 'shutting down: readiness fails, connections close after their answer',
        closing: 'shutting down: no new connections, waiting for requests in flight',
        cutting: 'shutting down: the grace is over, cutting the remaining connections',
        stopped: 'stopped',
      } as const;
      const meta: Record<string, unknown> = { event: o.phase === 'stopped' ? 'stopped' : `shutdown_${o.phase}`, inFlight: o.inFlight };
      if (o.signal !== undefined) meta.signal = o.signal;
      if (o.phase === 'cutting') logger.warn(messages[o.phase], meta);
      else logger.info(messages[o.phase], meta);
      return;
    }
    case 'metrics_listening':
      logger.info('metrics listening', { event: 'metrics_listening', url: o.url });
      return;
    default:
      return;
  }
}
