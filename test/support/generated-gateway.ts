// init → serve, as a user would: seed a database, generate its document, write it, start a gateway on it unchanged.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import type { DataSource } from '../../src/db/sources.js';
import {
  generateFromSource,
  type GenerateFromSourceOptions,
  type GeneratedSpec,
} from '../../src/init/generate-from-source.js';
import { serializeDocument } from '../../src/init/serialize-document.js';
import { startGateway, testConfig, type TestGateway } from './gateway.js';

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

export interface GeneratedGateway extends TestGateway {
  readonly generated: GeneratedSpec;
  /** The YAML file written, as `gatehouse init` would have. */
  readonly specPath: string;
  readonly source: DataSource;
}

export async function generateAndServe(options: GeneratedGatewayOptions): Promise<GeneratedGateway> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-init-'));
  const specPath = path.join(dir, `${options.sourceName}.yaml`);
  const config = testConfig({
    source: options.url === undefined ? { client: 'pglite' } : { client: options.client ?? 'pg', url: options.url },
    sourceName: options.sourceName,
    spec: specPath,
    extra: options.extra,
  });
  let generated: GeneratedSpec | undefined;
  try {
    // The contract is written between seeding and start-up, as a user runs `gatehouse init` before `serve`.
    const gw = await startGateway({
      config,
      seed: options.seed,
      beforeStart: async (source) => {
        generated = await generateFromSource(source, options.init);
        await writeFile(specPath, serializeDocument(generated.document, 'yaml', options.sourceName));
      },
    });
    // Not `...gw`: spreading would read the store getters, which throw for a gateway without a store.
    return {
      gateway: gw.gateway,
      config: gw.config,
      db: gw.db,
      http: gw.http,
      get auditor() {
        return gw.auditor;
      },
      get storeDb() {
        return gw.storeDb;
      },
      generated: generated!,
      specPath,
      source: gw.gateway.sources.get(options.sourceName)!,
      async close() {
        await gw.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
