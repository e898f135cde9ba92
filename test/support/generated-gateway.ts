// init → serve, as a user would: seed a database, generate its document, write it, start a gateway on it unchanged.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import supertest from 'supertest';
import { door } from './doors.js';
import { loadConfig } from '../../src/config/load.js';
import type { GatehouseConfig } from '../../src/config/types.js';
import { createDataSources, type DataSource } from '../../src/db/sources.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/observability/logger.js';
import {
  generateFromSource,
  type GenerateFromSourceOptions,
  type GeneratedSpec,
} from '../../src/init/generate-from-source.js';
import { serializeDocument } from '../../src/init/serialize-document.js';

export interface GeneratedGatewayOptions {
  /** A PostgreSQL URL, or undefined for in-memory PGlite. */
  readonly url: string | undefined;
  /** The URL's client (default pg): mssql for a SQL Server URL. */
  readonly client?: 'pg' | 'mssql';
  readonly sourceName: string;
  readonly seed: (db: Knex) => Promise<unknown>;
  readonly init?: GenerateFromSourceOptions;
  /** Raw top-level configuration sections (auth, policies, …) replacing the test defaults. */
  readonly extra?: Record<string, unknown>;
}

export interface GeneratedGateway {
  readonly generated: GeneratedSpec;
  /** The YAML file written, as `gatehouse init` would have. */
  readonly specPath: string;
  readonly config: GatehouseConfig;
  readonly source: DataSource;
  readonly db: Knex;
  readonly gateway: Gateway;
  readonly http: supertest.Agent;
  close(): Promise<void>;
}

export async function generateAndServe(options: GeneratedGatewayOptions): Promise<GeneratedGateway> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-init-'));
  const specPath = path.join(dir, `${options.sourceName}.yaml`);
  const config = loadConfig({
    raw: {
      spec: specPath,
      sources: {
        [options.sourceName]:
          options.url === undefined ? { client: 'pglite', connection: 'memory://' } : { client: options.client ?? 'pg', connection: options.url },
      },
      log: { level: 'error', requests: false },
      // As in the CRUD suites: the contract is under test here, not authentication or limits.
      auth: { disabled: true },
      rateLimit: { enabled: false },
      ...options.extra,
    },
    env: {},
  });
  const sources = createDataSources(config.sources);
  try {
    const source = sources.get(options.sourceName)!;
    await options.seed(source.db);
    const generated = await generateFromSource(source, options.init);
    await writeFile(specPath, serializeDocument(generated.document, 'yaml', options.sourceName));
    const gateway = await createGateway(config, createLogger({ level: 'error', silent: true }), { sources });
    return {
      generated,
      specPath,
      config,
      source,
      db: source.db,
      gateway,
      http: supertest.agent(door(gateway)),
      async close() {
        await gateway.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await sources.destroy();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
