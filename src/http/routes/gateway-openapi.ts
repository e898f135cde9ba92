// The gateway's own endpoints as the served document describes them (health, readiness, the contract itself, the
// auditor API, the migration report), and the methods each path serves, which also decide a 405 for any other method.
import { addRefusals } from '../../openapi/served-answers.js';
import { GATEWAY_RESPONSES } from '../../openapi/gateway-components.js';
import { MIGRATION_REPORT_PATH, REPORT_FORMATS, REPORT_MEDIA_TYPES } from '../../reports/report-media.js';
import { AUDIT_OPENAPI_PATHS } from './audit-openapi.js';

const problem = { $ref: `#/components/responses/${GATEWAY_RESPONSES.problem}` };

const readiness = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { enum: ['ready', 'unavailable'] },
    reasons: { type: 'array', items: { type: 'string' }, description: 'Why it is not ready (503 only).' },
    details: { type: 'object', description: 'Facts that never change the status (e.g. DNS registration).' },
  },
};

const BASE_PATHS: Record<string, Record<string, Record<string, unknown>>> = {
  '/healthz': {
    get: {
      operationId: 'gatehouseHealth',
      tags: ['gatehouse'],
      summary: 'Liveness: the process is running',
      security: [],
      responses: {
        '200': {
          description: 'alive',
          content: { 'application/json': { schema: { type: 'object', required: ['status'], properties: { status: { const: 'ok' } } } } },
        },
      },
    },
  },
  '/readyz': {
    get: {
      operationId: 'gatehouseReady',
      tags: ['gatehouse'],
      summary: 'Readiness: every data source answers and the contract is loaded',
      security: [],
      responses: {
        '200': { description: 'ready', content: { 'application/json': { schema: readiness } } },
        '429': {
          description: 'Probed too often from one address (a few times a second at most).',
          headers: { 'Retry-After': { required: true, schema: { type: 'integer', minimum: 0 } } },
          content: { 'application/problem+json': { schema: { $ref: `#/components/schemas/${GATEWAY_RESPONSES.problem}` } } },
        },
        '503': { description: 'not ready, with reasons', content: { 'application/json': { schema: readiness } } },
      },
    },
  },
  '/openapi.json': {
    get: {
      operationId: 'gatehouseContract',
      tags: ['gatehouse'],
      summary: 'This document; with `scoped=true` and a token, trimmed to what that token may do',
      security: [{}, { bearer: [] }],
      parameters: [
        {
          name: 'scoped',
          in: 'query',
          required: false,
          description: '`true`: only the operations and properties the caller’s token may use (without a token: the public document).',
          schema: { type: 'string' },
        },
      ],
      responses: {
        '200': { description: 'The OpenAPI document', content: { 'application/json': { schema: { type: 'object', required: ['openapi', 'paths'], properties: { openapi: { type: 'string' }, paths: { type: 'object' } } } } } },
        '400': problem,
        '401': problem,
        '403': problem,
      },
    },
  },
};

const query = (name: string, description: string, schema: Record<string, unknown> = { type: 'string' }): Record<string, unknown> => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
});

const REPORT_PATHS = {
  [MIGRATION_REPORT_PATH]: {
    get: {
      operationId: 'gatehouseMigrationReport',
      tags: ['gatehouse'],
      summary: 'The migration-candidate report: per table, how it is used and what to do with it',
      security: [{ bearer: ['reports:read'] }],
      parameters: [
        query('since', 'Start of the window: an ISO 8601 time or a duration back from now (e.g. `30d`)'),
        query('until', 'End of the window (ISO 8601); now when absent'),
        query('source', 'Only the tables of this data source'),
        query('format', 'The format; otherwise the Accept header decides (JSON when it accepts anything)', { enum: [...REPORT_FORMATS] }),
      ],
      responses: {
        '200': {
          description: 'The report',
          content: Object.fromEntries(
            REPORT_FORMATS.map((f) => [REPORT_MEDIA_TYPES[f], { schema: f === 'json' ? { type: 'object', properties: { tables: { type: 'array' } } } : { type: 'string' } }]),
          ),
        },
        '400': problem,
        '401': problem,
        '403': problem,
        '406': problem,
      },
    },
  },
};

/** Every gateway path item, each operation with the refusals it can meet. */
export function gatewayPaths(): Record<string, Record<string, Record<string, unknown>>> {
  const paths = structuredClone({ ...BASE_PATHS, ...AUDIT_OPENAPI_PATHS, ...REPORT_PATHS }) as Record<string, Record<string, Record<string, unknown>>>;
  for (const [path, item] of Object.entries(paths)) {
    for (const operation of Object.values(item)) {
      const responses = (operation.responses ??= {}) as Record<string, unknown>;
      // /healthz and /readyz are not counted against a caller's budget (/readyz has its own 429 above).
      addRefusals(responses, path !== '/healthz' && path !== '/readyz');
    }
  }
  return paths;
}

/** Path template → the methods it serves (HEAD with GET), for 405 answers. */
export function gatewayMethods(): ReadonlyMap<string, readonly string[]> {
  const methods = new Map<string, readonly string[]>();
  for (const [path, item] of Object.entries(gatewayPaths())) {
    const served = Object.keys(item).map((m) => m.toUpperCase());
    methods.set(path, served.includes('GET') ? [...served, 'HEAD'] : served);
  }
  methods.set('/docs', ['GET', 'HEAD']);
  methods.set('/docs/', ['GET', 'HEAD']);
  return methods;
}
