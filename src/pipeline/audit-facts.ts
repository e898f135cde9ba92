// What the audit record may say about a request: read off the furthest stage it reached, nothing looked up.
import type { RequestFacts } from '../audit/request-audit.js';
import { clientOf, operationOf, principalOf, type Reached } from './exchange.js';

export function auditFacts(reached: Reached): RequestFacts {
  return {
    requestId: reached.id,
    clientRequestId: reached.clientRequestId,
    receivedAt: reached.receivedAt,
    startedAt: reached.startedAt,
    method: reached.method,
    path: reached.path,
    peer: reached.peer,
    client: clientOf(reached),
    principal: principalOf(reached),
    operation: operationOf(reached),
  };
}
