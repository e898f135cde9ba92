// The audit writer as the request path sees it, counted: records waiting to be durable, and records refused.
import { AuditUnavailableError } from '../audit/audit-unavailable-error.js';
import type { AuditWriter } from '../audit/writer.js';
import { auditRefused, type Observe } from './observation.js';

export interface ObservedWriter {
  readonly writer: AuditWriter;
  /** Records appended and not yet committed or refused. */
  pending(): number;
}

export function observeWriter(writer: AuditWriter, observe: Observe): ObservedWriter {
  let pending = 0;
  const settled = (): void => {
    pending -= 1;
  };
  const refused = (err: unknown): void => {
    pending -= 1;
    observe(auditRefused(err instanceof AuditUnavailableError ? err.reason : String(err)));
  };
  const observed: AuditWriter = {
    instanceId: writer.instanceId,
    start: () => writer.start(),
    append(content) {
      pending += 1;
      const stored = writer.append(content);
      // The caller handles the rejection itself; this only counts it.
      stored.then(settled, refused);
      return stored;
    },
    unavailableReason: () => writer.unavailableReason(),
    holdRef: (ref) => writer.holdRef(ref),
    defer: (content) => writer.defer(content),
    checkpoint: (kind) => writer.checkpoint(kind),
    probe: () => writer.probe(),
    stats: () => writer.stats(),
    close: () => writer.close(),
  };
  return { writer: observed, pending: () => pending };
}
