// The auditor API's OpenAPI path items, published in /openapi.json with the gateway's other own endpoints.
import { GATEWAY_RESPONSES } from '../../openapi/gateway-components.js';

const problem = { $ref: `#/components/responses/${GATEWAY_RESPONSES.problem}` };

const stringParam = (name: string, description: string): Record<string, unknown> => ({
  name,
  in: 'query',
  required: false,
  description,
  schema: { type: 'string' },
});

const auditEvent = {
  type: 'object',
  description:
    'One audit record: a request event, a write-ahead intent, or an outcome recovery recorded. `hash` chains it to `prevHash` within its instance.',
  properties: {
    id: { type: 'string' },
    kind: { enum: ['request', 'intent', 'outcome', 'reload'] },
    ref: { type: 'string', description: 'The request event id shared by all records of one request' },
    instanceId: { type: 'string' },
    seq: { type: 'integer' },
    occurredAt: { type: 'string', format: 'date-time' },
    recordedAt: { type: 'string', format: 'date-time' },
    requestId: { type: 'string' },
    method: { type: 'string' },
    path: { type: 'string' },
    route: { type: ['string', 'null'] },
    operationId: { type: ['string', 'null'] },
    resource: { type: ['string', 'null'] },
    status: { type: ['integer', 'null'] },
    outcome: { enum: ['success', 'denied', 'failed', 'aborted', 'intent', 'unknown'] },
    errorCode: { type: ['string', 'null'] },
    deniedBy: { type: ['string', 'null'] },
    latencyMs: { type: ['number', 'null'] },
    rows: { type: ['integer', 'null'] },
    principal: {
      type: ['object', 'null'],
      properties: {
        subject: { type: 'string' },
        clientId: { type: ['string', 'null'] },
        scopes: { type: 'array', items: { type: 'string' } },
        roles: { type: 'array', items: { type: 'string' } },
        tokenId: { type: ['string', 'null'] },
      },
    },
    client: {
      type: 'object',
      properties: {
        ip: { type: ['string', 'null'] },
        forwardedFor: { type: 'array', items: { type: 'string' } },
        zone: { type: ['string', 'null'] },
        peer: { type: ['string', 'null'] },
      },
    },
    statements: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          source: { type: 'string' },
          sql: { type: 'string' },
          bindings: { type: 'array', description: 'Values of pii / confidential columns read `[masked:<classification>]`' },
          rows: { type: ['integer', 'null'] },
          durationMs: { type: ['number', 'null'] },
          error: { type: ['string', 'null'] },
        },
      },
    },
    detail: { type: ['object', 'null'] },
    prevHash: { type: 'string' },
    hash: { type: 'string' },
  },
};

const security = [{ bearer: ['audit:read'] }];
const denied = { '401': problem, '403': problem, '503': problem };

export const AUDIT_OPENAPI_PATHS = {
  '/_gatehouse/audit/events': {
    get: {
      operationId: 'gatehouseAuditListEvents',
      tags: ['gatehouse'],
      summary: 'Search the audit log; page with `cursor`, or export every match as NDJSON or CSV (streamed)',
      security,
      parameters: [
        { ...stringParam('from', 'Requests received at or after this time (ISO 8601)'), schema: { type: 'string', format: 'date-time' } },
        { ...stringParam('to', 'Requests received before this time (ISO 8601)'), schema: { type: 'string', format: 'date-time' } },
        stringParam('subject', 'Principal subject (`sub`)'),
        stringParam('client', 'Client id'),
        stringParam('ip', 'Client address'),
        stringParam('zone', 'Network zone of the client address'),
        stringParam('resource', 'Resource name'),
        stringParam('operation', 'operationId'),
        { ...stringParam('outcome', 'Outcome'), schema: { enum: ['success', 'denied', 'failed', 'aborted', 'intent', 'unknown'] } },
        { ...stringParam('status', 'HTTP status'), schema: { type: 'integer', minimum: 100, maximum: 599 } },
        stringParam('requestId', 'Request id: the gateway’s own, or the caller’s X-Request-Id once the caller was admitted'),
        stringParam('clientRequestId', 'An X-Request-Id the gateway did not adopt (the caller was refused before it was admitted)'),
        { ...stringParam('kind', 'Record kind'), schema: { enum: ['request', 'intent', 'outcome', 'reload'] } },
        stringParam('instance', 'Gateway instance (hash chain)'),
        stringParam('sql', 'Text in any captured SQL statement (case-insensitive)'),
        { ...stringParam('limit', 'Page size'), schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
        stringParam('cursor', 'Opaque position from the previous page (`next`)'),
        { ...stringParam('format', 'Export every match instead of a page'), schema: { enum: ['json', 'ndjson', 'csv'] } },
      ],
      responses: {
        '200': {
          description: 'A page of records (with `next` and a `Link: rel="next"` header), or the whole export',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: { events: { type: 'array', items: auditEvent }, next: { type: ['string', 'null'] } },
              },
            },
            'application/x-ndjson': { schema: { type: 'string' } },
            'text/csv': { schema: { type: 'string' } },
          },
        },
        '400': problem,
        ...denied,
      },
    },
  },
  '/_gatehouse/audit/events/{id}': {
    get: {
      operationId: 'gatehouseAuditGetEvent',
      tags: ['gatehouse'],
      summary: 'One audit record, with the other records of the same request (intents, recovered outcome)',
      security,
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      responses: {
        '200': {
          description: 'The record and its related records',
          content: {
            'application/json': {
              schema: { type: 'object', properties: { event: auditEvent, related: { type: 'array', items: auditEvent } } },
            },
          },
        },
        '404': problem,
        ...denied,
      },
    },
  },
  '/_gatehouse/audit/verify': {
    get: {
      operationId: 'gatehouseAuditVerify',
      tags: ['gatehouse'],
      summary: 'Recompute every hash chain; report gaps, edited, deleted or reordered records, truncation and bad signatures',
      security,
      parameters: [
        { ...stringParam('from', 'Records recorded at or after this time'), schema: { type: 'string', format: 'date-time' } },
        { ...stringParam('to', 'Records recorded before this time'), schema: { type: 'string', format: 'date-time' } },
      ],
      responses: {
        '200': {
          description: 'The verification report; `ok` is false when any problem was found',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  ok: { type: 'boolean' },
                  events: { type: 'integer' },
                  instances: { type: 'array', items: { type: 'object' } },
                  problems: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: {
                        kind: {
                          enum: ['missing', 'edited', 'reordered', 'chain_broken', 'truncated', 'checkpoint_mismatch', 'bad_signature', 'unknown_key'],
                        },
                        instanceId: { type: 'string' },
                        seq: { type: 'integer' },
                        eventId: { type: 'string' },
                        detail: { type: 'string' },
                      },
                    },
                  },
                },
              },
            },
          },
        },
        '400': problem,
        ...denied,
      },
    },
  },
};
