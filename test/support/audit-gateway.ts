// A real gateway with the audit log on: ERP data on one PostgreSQL database, the audit store on another (or PGlite).
import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import knex, { type Knex } from 'knex';
import supertest from 'supertest';
import { door } from './doors.js';
import { loadConfig } from '../../src/config/load.js';
import type { GatehouseConfig } from '../../src/config/types.js';
import { createDataSources } from '../../src/db/sources.js';
import { mssqlKnex } from './mssql-env.js';
import { seedErp } from '../../src/demo/erp-schema.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/observability/logger.js';
import type { Auditor } from '../../src/audit/auditor.js';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ERP_SPEC = path.join(projectRoot, 'openapi', 'erp.yaml');

export function ed25519Pem(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export interface AuditedGatewayOptions {
  /** ERP data source URL (PostgreSQL, or SQL Server with `dataClient: 'mssql'`); seeded unless `seed: false`. */
  readonly dataUrl: string;
  readonly dataClient?: 'pg' | 'mssql';
  /** Store: a PostgreSQL URL, or `{ pglite: dir }`. */
  readonly store: string | { readonly pglite: string };
  /** Raw `audit:` keys, over test defaults (sink off, strict). */
  readonly audit?: Record<string, unknown>;
  readonly storeOptions?: Record<string, unknown>;
  /** Extra raw keys for the ERP source (pool, statementTimeoutMs, …). */
  readonly sourceOptions?: Record<string, unknown>;
  /** Raw `server:` keys. */
  readonly server?: Record<string, unknown>;
  /** Raw `auth:` section (default: authentication off, as in the CRUD suites). */
  readonly auth?: Record<string, unknown>;
  /** Further raw top-level sections (policies, network, …). */
  readonly extra?: Record<string, unknown>;
  readonly seed?: boolean;
}

export interface AuditedGateway {
  readonly gateway: Gateway;
  readonly auditor: Auditor;
  readonly config: GatehouseConfig;
  readonly http: supertest.Agent;
  /** A separate connection to the store, for looking behind the API's back. */
  readonly storeDb: Knex;
  readonly dataDb: Knex;
  close(): Promise<void>;
}

export function auditedConfig(options: AuditedGatewayOptions): GatehouseConfig {
  const store =
    typeof options.store === 'string'
      ? { client: 'pg', connection: options.store, ...options.storeOptions }
      : { client: 'pglite', connection: options.store.pglite, ...options.storeOptions };
  return loadConfig({
    raw: {
      server: { host: '127.0.0.1', port: 0, ...options.server },
      spec: ERP_SPEC,
      sources: { erp: { client: options.dataClient ?? 'pg', connection: options.dataUrl, ...options.sourceOptions } },
      log: { level: 'error', requests: false },
      store,
      audit: { sink: { stdout: false }, instanceId: 'test-instance', ...options.audit },
      // Authentication and limits are off unless a test configures them (the security suites cover them).
      auth: options.auth ?? { disabled: true },
      rateLimit: { enabled: false },
      ...options.extra,
    },
    env: {},
    baseDir: projectRoot,
  });
}

export async function startAuditedGateway(options: AuditedGatewayOptions): Promise<AuditedGateway> {
  const config = auditedConfig(options);
  const sources = createDataSources(config.sources);
  if (options.seed !== false) await seedErp(sources.get('erp')!.db);
  const gateway = await createGateway(config, createLogger({ level: 'error', silent: true }), { sources });
  const storeDb =
    typeof options.store === 'string' ? knex({ client: 'pg', connection: options.store, pool: { min: 0, max: 2 } }) : gateway.auditor!.store.db;
  const dataDb = options.dataClient === 'mssql' ? mssqlKnex(options.dataUrl) : knex({ client: 'pg', connection: options.dataUrl, pool: { min: 0, max: 2 } });
  return {
    gateway,
    auditor: gateway.auditor!,
    config,
    http: supertest.agent(door(gateway)),
    storeDb,
    dataDb,
    async close() {
      await gateway.close();
      if (typeof options.store === 'string') await storeDb.destroy();
      await dataDb.destroy();
    },
  };
}

/** Request events (newest last) for a request id, read straight from the store. */
export async function eventsFor(storeDb: Knex, requestId: string): Promise<Array<Record<string, unknown>>> {
  return (await storeDb('audit_events').where({ request_id: requestId }).orderBy('seq')) as Array<Record<string, unknown>>;
}
