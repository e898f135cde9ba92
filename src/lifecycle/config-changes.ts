// What a reload may change and what it changed: pure comparisons of two loaded configurations (key paths only,
// never values: connection strings and keys are secrets).
import type { GatehouseConfig } from '../config/types.js';

/**
 * Parts of the configuration a running gateway holds open or has published: they change only with a restart (in
 * Kubernetes, a rolling update). The listening address and the metrics listener are bound; the pools, the audit
 * store, its writer and hash chain (audit.instanceId), the rate-limit counters and their Redis are open and hold
 * state that a swap would lose or fork.
 */
const FIXED: ReadonlyArray<readonly [prefix: string, why: string]> = [
  ['server.host', 'the listening address is bound'],
  ['server.port', 'the listening port is bound'],
  ['metrics', 'the metrics listener is bound'],
  ['sources', 'the data sources’ pools are open'],
  ['store', 'the audit store is open'],
  ['audit', 'the audit writer and its hash chain are running'],
  ['rateLimit', 'the rate-limit counters would restart'],
  ['redis', 'the rate-limit store is connected'],
  ['discovery', 'the DNS registration is running'],
  ['idempotency.sweepIntervalMs', 'the key sweeper is running'],
];

/** Dotted key paths whose values differ (lists compared whole). */
export function changedKeys(before: unknown, after: unknown, at = ''): string[] {
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => changedKeys(before[key], after[key], at ? `${at}.${key}` : key));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [at || '(root)'];
}

/** One line per change a reload cannot apply, naming the key and why it needs a restart; empty when there is none. */
export function fixedChanges(before: GatehouseConfig, after: GatehouseConfig): string[] {
  const changed = changedKeys(before, after);
  const lines: string[] = [];
  for (const [prefix, why] of FIXED) {
    const keys = changed.filter((key) => key === prefix || key.startsWith(`${prefix}.`));
    if (keys.length > 0) lines.push(`${keys.join(', ')} cannot change while the gateway runs (${why}): restart it to apply`);
  }
  return lines;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
