// The audit record of a reload (kind `reload`): who can change what the gateway serves is an auditor's question too.
import type { AuditContent } from '../audit/event.js';
import type { ReloadFinished } from '../observability/observation.js';
import { newId } from '../util/ids.js';

export function reloadRecord(reload: ReloadFinished, specFile: string, contractSha256: string, startedAt: bigint): AuditContent {
  const id = newId();
  return {
    id,
    kind: 'reload',
    ref: id,
    occurredAt: new Date().toISOString(),
    requestId: id,
    // What set it off: the signal, or the configuration watch.
    method: reload.trigger === 'SIGHUP' ? 'SIGHUP' : 'WATCH',
    // The contract file the gateway (re)read.
    path: specFile,
    route: null,
    operationId: null,
    resource: null,
    status: null,
    outcome: reload.outcome === 'refused' ? 'failed' : 'success',
    errorCode: reload.outcome === 'refused' ? 'reload_refused' : null,
    deniedBy: null,
    latencyMs: Math.round((Number(process.hrtime.bigint() - startedAt) / 1e6) * 1000) / 1000,
    rows: null,
    principal: null,
    client: { ip: null, forwardedFor: [], zone: null, peer: null },
    statements: [],
    detail: {
      result: reload.outcome,
      changed: [...reload.changed],
      resourcesAdded: [...reload.resourcesAdded],
      resourcesRemoved: [...reload.resourcesRemoved],
      reasons: [...reload.reasons],
      contractSha256,
    },
  };
}
