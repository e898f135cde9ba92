// JSON Schema of the `store:` (the gateway's own database) and `audit:` sections, with their defaults.
import { poolJsonSchema } from './schema-pool.js';

export const storeJsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['client', 'connection'],
  properties: {
    client: { enum: ['pg', 'pglite'] },
    /** pg: a connection URL; pglite: a data directory, or `memory://`. */
    connection: { type: 'string', minLength: 1 },
    pool: poolJsonSchema({ max: 4, maxLimit: 100, acquireTimeoutMs: 3000 }),
    /** A statement against the store that takes longer than this fails (and the audit log reports itself unavailable). */
    statementTimeoutMs: { type: 'integer', minimum: 100, default: 5000 },
    /** Run pending knex migrations when the gateway starts (otherwise: `gatehouse migrate`). */
    migrate: { type: 'boolean', default: true },
  },
} as const;

export const auditJsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    /**
     * strict (default): a response is released only after its event is committed, and a mutation runs only after
     * its intent is. buffered: responses and mutations do not wait; a crash loses every record still queued (up to
     * queueSize) and may leave a change with no intent. A full queue or a failed store still answers 503.
     */
    mode: { enum: ['strict', 'buffered'], default: 'strict' },
    /** Names this instance's hash chain; keep it stable across restarts (default: the host name). */
    instanceId: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
    /** Events waiting for a commit; when full, requests are refused with 503 audit_unavailable. */
    queueSize: { type: 'integer', minimum: 1, maximum: 1000000, default: 10000 },
    groupCommit: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        maxBatch: { type: 'integer', minimum: 1, maximum: 1000, default: 500 },
        /**
         * Under concurrency (the previous commit was shared), how long a commit waits for more records to join it:
         * fewer, larger commits for at most this much latency. A lone request never waits. 0: never linger.
         */
        maxWaitMs: { type: 'integer', minimum: 0, maximum: 1000, default: 2 },
        /**
         * Commits in flight at once, each on its own store connection; the store keeps them in chain order. While
         * one commits, the next is sent once its batch would be as large as the last (with maxWaitMs 0: at once).
         * Keep it below the store pool's max (the auditor API and retention need a connection too). 1: each
         * commit waits for the one before.
         */
        maxInFlight: { type: 'integer', minimum: 1, maximum: 16, default: 2 },
      },
    },
    checkpoint: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        everyEvents: { type: 'integer', minimum: 1, default: 1000 },
        everyMs: { type: 'integer', minimum: 100, default: 60000 },
      },
    },
    /** Ed25519 private key (PKCS#8 PEM), usually by reference: `${file:/secrets/audit.pem}` or `${AUDIT_KEY}`. */
    signingKey: { type: 'string', minLength: 1 },
    /** Further Ed25519 public keys (SPKI PEM) whose checkpoints verify, e.g. keys rotated out. */
    trustedKeys: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
    retention: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        /** Events older than this many days are removed; absent: kept forever. */
        days: { type: 'number', exclusiveMinimum: 0 },
        intervalMs: { type: 'integer', minimum: 1000, default: 3600000 },
      },
    },
    sink: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        /** One JSON line per event on stdout. */
        stdout: { type: 'boolean', default: true },
        /** One JSON line per event appended to this file. */
        file: { type: 'string', minLength: 1 },
      },
    },
    /**
     * Every signed checkpoint is published outside the store: on the sink (stdout / file) and, with `file`, appended
     * (and synced) to this witness file, best kept on another volume than the store. `gatehouse audit verify
     * --witness <file>` then proves the store still holds everything up to the newest published checkpoint.
     */
    witness: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        file: { type: 'string', minLength: 1 },
      },
    },
    /**
     * Strict mode: a write that committed while its event cannot be stored is not answered as a failure at once: its
     * answer waits up to this long for the store to come back (the writer probes it every 200 ms), then, if it is still
     * down, 503 audit_unavailable_after_write says the change was applied. 0: no wait.
     */
    writeHoldMs: { type: 'integer', minimum: 0, maximum: 60000, default: 5000 },
    /** Record /healthz and /readyz too (off: probes would flood the log). */
    includeHealth: { type: 'boolean', default: false },
  },
} as const;
