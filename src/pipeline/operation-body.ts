// The body a write sent, as the validate stage parsed it: what an Idempotency-Key's fingerprint digests.
import type { OperationInput } from './operation-input.js';

export function fingerprintBody(input: OperationInput): unknown {
  switch (input.kind) {
    case 'create':
      return input.bulk ? input.rows : input.rows[0];
    case 'update':
    case 'replace':
    case 'updateMany':
      return input.body;
    default:
      return undefined;
  }
}
