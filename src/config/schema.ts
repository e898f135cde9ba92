// JSON Schema of gatehouse.yaml, with the defaults; validated (and defaults applied) by ajv in load.ts.
import { auditJsonSchema, storeJsonSchema } from './schema-audit.js';
import { authJsonSchema } from './schema-auth.js';
import { discoveryJsonSchema } from './schema-discovery.js';
import { policiesJsonSchema } from './schema-policies.js';
import { networkJsonSchema, rateLimitJsonSchema, redisJsonSchema } from './schema-network.js';
import { mssqlJsonSchema } from './schema-mssql.js';
import { poolJsonSchema } from './schema-pool.js';
import { reportJsonSchema } from './schema-report.js';

const source = {
  type: 'object',
  additionalProperties: false,
  required: ['client', 'connection'],
  properties: {
    client: { enum: ['pg', 'pglite', 'mssql'] },
    connection: { type: 'string', minLength: 1 },
    pool: poolJsonSchema({ max: 10, maxLimit: 1000, acquireTimeoutMs: 5000 }),
    statementTimeoutMs: { type: 'integer', minimum: 1, default: 15000 },
    readOnly: { type: 'boolean', default: false },
    defaultSchema: { type: 'string', minLength: 1 },
    mssql: mssqlJsonSchema,
  },
} as const;

/** How ajv checks a configuration against the schema (compiled ahead of time: src/generated/config-validator.ts). */
export const CONFIG_AJV_OPTIONS = { allErrors: true, useDefaults: true, strict: false } as const;

export const configJsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['spec', 'sources'],
  properties: {
    server: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        host: { type: 'string', minLength: 1, default: '127.0.0.1' },
        port: { type: 'integer', minimum: 0, maximum: 65535, default: 8080 },
        bodyLimitBytes: { type: 'integer', minimum: 1, default: 1048576 },
        requestTimeoutMs: { type: 'integer', minimum: 1, default: 30000 },
        shutdownGraceMs: { type: 'integer', minimum: 0, default: 10000 },
        shutdownDelayMs: { type: 'integer', minimum: 0, default: 0 },
        watchConfigMs: { type: 'integer', minimum: 0, default: 0 },
      },
    },
    spec: { type: 'string', minLength: 1 },
    /** Prometheus metrics, on a listener of their own so that the data port never serves them. */
    metrics: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: false },
        host: { type: 'string', minLength: 1, default: '0.0.0.0' },
        port: { type: 'integer', minimum: 0, maximum: 65535, default: 9464 },
        path: { type: 'string', pattern: '^/', default: '/metrics' },
      },
    },
    policies: policiesJsonSchema,
    store: storeJsonSchema,
    audit: auditJsonSchema,
    auth: authJsonSchema,
    network: networkJsonSchema,
    rateLimit: rateLimitJsonSchema,
    redis: redisJsonSchema,
    discovery: discoveryJsonSchema,
    report: reportJsonSchema,
    /** Idempotency-Key on writes: answers kept in the gateway's own store (`store:`) for retries. */
    idempotency: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        /** How long a key's first answer is kept: a number and s, m, h or d. */
        ttl: { type: 'string', pattern: '^[1-9][0-9]{0,6}[smhd]$', default: '24h' },
        /** How often expired keys are deleted from the store. */
        sweepIntervalMs: { type: 'integer', minimum: 1000, default: 600000 },
      },
    },
    sources: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9_-]*$' },
      additionalProperties: source,
    },
    limits: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        defaultPageSize: { type: 'integer', minimum: 1, default: 100 },
        maxPageSize: { type: 'integer', minimum: 1, default: 1000 },
        maxAffected: { type: 'integer', minimum: 1, default: 1000 },
        maxBulkRows: { type: 'integer', minimum: 1, default: 1000 },
        exportBatchRows: { type: 'integer', minimum: 1, maximum: 100000, default: 2000 },
      },
    },
    log: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        level: { enum: ['error', 'warn', 'info', 'debug'], default: 'info' },
        requests: { type: 'boolean', default: true },
      },
    },
  },
} as const;
